using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ActiveLabel.BrowserTests;

/// <summary>The monitoring dashboard in chromium, signed in with the web app's session cookie.</summary>
[Collection(WebAppGroup.Name)]
public sealed class DashboardTests(WebAppFixture fixture)
{
    [Fact]
    public async Task Should_draw_one_point_per_model_version_and_metric_with_the_baseline_dashed_and_break_no_policy()
    {
        var project = await fixture.CreateProjectAsync("dashboard-" + Guid.NewGuid().ToString("N")[..6], [.. fixture.Headlines(30).Select(l => (l.Text, (string?)null))], "alice");
        // Three versions as the Trainer stores them; their bytes are not a model, so the stopping signal stays empty.
        await using (var connection = await fixture.Database.OpenConnectionAsync())
        {
            foreach (var (version, labels, accuracy, auc) in new[] { (1, 20, 0.62, 0.70), (2, 30, 0.71, 0.81), (3, 40, 0.78, 0.88) })
            {
                await using var insert = new Npgsql.NpgsqlCommand(
                    """
                    INSERT INTO model_versions (project_id, version, trained_on_labels, last_label_id, metrics, model, training_duration_ms, created_at)
                    VALUES (@p, @v, @n, 0, @m::jsonb, '\x00'::bytea, 1, now())
                    """, connection);
                insert.Parameters.AddWithValue("p", project);
                insert.Parameters.AddWithValue("v", version);
                insert.Parameters.AddWithValue("n", labels);
                insert.Parameters.AddWithValue("m", $$"""{"accuracy":{{accuracy}},"macroF1":{{accuracy - 0.05}},"auc":{{auc}},"method":"cv-5"}""");
                await insert.ExecuteNonQueryAsync();
            }
        }

        await fixture.SendAsync(fixture.Labeling, HttpMethod.Put, $"/api/projects/{project}/baseline", JsonContent.Create(new
        {
            source = "datasets/clickbait <b>simulated</b>",
            points = new[] { new { labels = 10, accuracy = 0.55, macroF1 = 0.5, auc = 0.6 }, new { labels = 40, accuracy = 0.7, macroF1 = 0.66, auc = 0.77 } },
        }));

        var (context, page) = await fixture.SignInAsync("alice");
        await using var _ = context;
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add(message.Text);
            }
        };
        page.PageError += (_, error) => problems.Add(error);
        await page.GotoAsync($"/dashboard.html?project={project}");

        await Expect(page.Locator("#project-name")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^dashboard-"));
        await Expect(page.Locator("#chart svg circle.point")).ToHaveCountAsync(9);
        await Expect(page.Locator("#chart svg")).ToHaveAttributeAsync("data-versions", "3");
        foreach (var series in new[] { "auc", "accuracy", "macroF1", "baseline-auc", "baseline-accuracy", "baseline-macroF1" })
        {
            await Expect(page.Locator($"#chart path[data-series='{series}']")).ToHaveCountAsync(1);
        }

        // The baseline's source is data: shown as text, never as markup.
        await Expect(page.Locator("#chart-note")).ToContainTextAsync("<b>simulated</b>");
        await Expect(page.Locator("#chart-note b")).ToHaveCountAsync(0);
        await Expect(page.Locator("#queue")).ToContainTextAsync("30");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = WebAppFixture.ScreenshotPath("dashboard"), FullPage = true });
        Assert.Empty(problems);
    }
}
