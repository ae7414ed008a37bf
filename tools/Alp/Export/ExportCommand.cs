using System.CommandLine;
using ActiveLabel.Alp.Platform;

namespace ActiveLabel.Alp.Export;

/// <summary><c>alp export</c>: stream a project's labeled data (JSONL or CSV) to a file or standard output.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var project = new Option<Guid>("--project") { Description = "The project id.", Required = true };
        var format = new Option<string>("--format") { Description = "jsonl or csv.", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl", "csv");
        var output = new Option<string?>("--out") { Description = "File to write; standard output when omitted." };
        var command = new Command("export", "Export every label with its item's id and content.") { project, format, output };
        var connection = PlatformOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var client = connection.CreateClient(parse, TimeSpan.FromHours(1));
                using var response = await client.SendRawAsync(
                    PlatformService.Labeling, HttpMethod.Get, $"/api/projects/{parse.GetValue(project)}/export?format={parse.GetValue(format)}", null, cancellationToken);
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                if (parse.GetValue(output) is { } path)
                {
                    await using var file = File.Create(path);
                    await body.CopyToAsync(file, cancellationToken);
                }
                else
                {
                    await using var stdout = Console.OpenStandardOutput();
                    await body.CopyToAsync(stdout, cancellationToken);
                }

                return 0;
            }
            catch (PlatformException ex)
            {
                Console.Error.WriteLine(ex.Message);
                return 1;
            }
        });
        return command;
    }
}
