using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ActiveLabel.IntegrationTests.BadInput;

/// <summary>Reads a refusal and checks its form: the status, and a problem+json body whose detail says what to fix.</summary>
internal static class Answers
{
    /// <summary>Asserts the status and the problem+json media type and returns the body.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected} {expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>The problem's <c>detail</c>, after <see cref="ProblemAsync"/>'s checks.</summary>
    public static async Task<string> DetailAsync(HttpResponseMessage response, HttpStatusCode expected) =>
        (await ProblemAsync(response, expected)).GetProperty("detail").GetString()!;

    /// <summary>The messages of a validation problem for one field (<c>errors.{field}</c>).</summary>
    public static async Task<string> FieldErrorAsync(HttpResponseMessage response, string field)
    {
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        var messages = default(JsonElement);
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out messages), $"expected errors.{field} in {problem}");
        return string.Join(" ", messages.EnumerateArray().Select(m => m.GetString()));
    }

    /// <summary>A request with a raw body, for bodies no typed client would send.</summary>
    public static HttpRequestMessage Raw(HttpMethod method, string path, string? token, string body, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = new StringContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    /// <summary>A request with a JSON body.</summary>
    public static HttpRequestMessage Json(HttpMethod method, string path, string? token, object body)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }
}
