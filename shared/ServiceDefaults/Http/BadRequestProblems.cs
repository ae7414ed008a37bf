using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ActiveLabel.ServiceDefaults.Http;

/// <summary>
/// ASP.NET answers a body that is not the JSON an endpoint expects, or a query value of the wrong type, with a bare
/// 400 (or 415) that says nothing. Here those requests throw instead, and the handler answers with problem details
/// naming the field, the position and the expected type, so the caller knows what to fix.
/// </summary>
internal static partial class BadRequestProblems
{
    public static IServiceCollection AddBadRequestProblems(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        return services;
    }

    /// <summary>
    /// First in the pipeline: requests ASP.NET cannot bind get problem details naming what to fix, and any other
    /// error answered without a body (a 415, a route that does not match) gets at least a problem with its status.
    /// </summary>
    public static IApplicationBuilder UseBadRequestProblems(this IApplicationBuilder app) => app
        .UseExceptionHandler()
        .UseStatusCodePages(context => context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context.HttpContext,
            ProblemDetails =
            {
                Status = context.HttpContext.Response.StatusCode,
                Detail = context.HttpContext.Response.StatusCode switch
                {
                    // Minimal APIs answer a body that is not JSON with a bare 415 (they do not throw for it).
                    StatusCodes.Status415UnsupportedMediaType =>
                        $"Send the body as JSON with Content-Type: application/json, not '{context.HttpContext.Request.ContentType}'.",
                    StatusCodes.Status404NotFound =>
                        $"Nothing at {context.HttpContext.Request.Method} {context.HttpContext.Request.Path}: check the address (project ids are UUIDs, item and label ids are numbers).",
                    _ => null,
                },
            },
        }).AsTask());

    /// <summary>What the caller sent wrong, in the caller's terms (JSON paths, parameter names), not .NET's.</summary>
    public static string Describe(BadHttpRequestException exception)
    {
        if (exception.InnerException is JsonException json)
        {
            var position = $"at {json.Path ?? "$"} (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1})";
            if (!json.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
            {
                return $"The body is not well-formed JSON {position}: {json.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0]}";
            }

            return ExpectedValue(json) is { } expected
                ? $"The JSON body has a value of the wrong type {position}: expected {expected}."
                : $"The JSON body has a value of the wrong type {position}.";
        }

        if (FailedToBind().Match(exception.Message) is { Success: true } bind)
        {
            return $"Parameter '{bind.Groups["name"].Value}' must be {Expected(bind.Groups["type"].Value)}; '{bind.Groups["value"].Value}' is not.";
        }

        return exception.Message.Contains("body", StringComparison.OrdinalIgnoreCase) && exception.Message.Contains("provided", StringComparison.Ordinal)
            ? "The request body is empty: send a JSON object."
            : exception.Message;
    }

    /// <summary>
    /// What the value at the error's path should have been. System.Text.Json names the enclosing record, not the
    /// property's type, when it binds constructor parameters; the inner exception says what was expected.
    /// </summary>
    private static string? ExpectedValue(JsonException json)
    {
        switch (json.InnerException)
        {
            case InvalidOperationException e when TokenAs().Match(e.Message) is { Success: true } token:
                return $"{Expected(token.Groups["expected"].Value)}, not {Found(token.Groups["found"].Value)}";
            case FormatException e when FormatOf().Match(e.Message) is { Success: true } format:
                return Expected(format.Groups["type"].Value);
            case null when ConvertedTo().Match(json.Message) is { Success: true } converted:
                var expected = Expected(converted.Groups["type"].Value);
                return json.Path is null or "$" || expected != "an object" ? expected : null;
            default:
                return null;
        }
    }

    private static string Found(string token) => token switch
    {
        "StartObject" => "an object",
        "StartArray" => "an array",
        "Number" => "a number",
        "String" => "a string",
        "True" or "False" => "true or false",
        "Null" => "null",
        _ => token,
    };

    private static string Expected(string type)
    {
        if (type.Contains("List", StringComparison.Ordinal) || type.Contains("Enumerable", StringComparison.Ordinal) || type.EndsWith("[]", StringComparison.Ordinal))
        {
            return "an array";
        }

        // "System.Nullable`1[System.Int32]" -> "Int32"; "int" -> "int"; a record's full name -> its name.
        var name = type.Split(['[', ']', '.', '`', ','], StringSplitOptions.RemoveEmptyEntries)[^1];
        return name switch
        {
            "Guid" => "a UUID string",
            "Int16" or "Int32" or "Int64" or "short" or "int" or "long" => "an integer within range",
            "Boolean" or "bool" or "boolean" => "true or false",
            "Double" or "Single" or "Decimal" or "double" or "float" or "decimal" or "number" => "a number",
            "DateTimeOffset" or "DateTime" => "an ISO 8601 date and time",
            "String" or "string" => "a string",
            _ => "an object",
        };
    }

    [GeneratedRegex(@"could not be converted to (?<type>\S+?)\.? Path:")]
    private static partial Regex ConvertedTo();

    [GeneratedRegex(@"token type '(?<found>\w+)' as an? (?<expected>\w+)")]
    private static partial Regex TokenAs();

    [GeneratedRegex(@"(?:for an?|supported) (?<type>\w+)(?: format)?\.")]
    private static partial Regex FormatOf();

    [GeneratedRegex("""Failed to bind parameter "(?<type>\S+) (?<name>[^"]+)" from "(?<value>.*)"\.""")]
    private static partial Regex FailedToBind();

    private sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not BadHttpRequestException bad)
            {
                return false;
            }

            httpContext.Response.StatusCode = bad.StatusCode;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext,
                ProblemDetails = { Status = bad.StatusCode, Title = "The request is invalid.", Detail = Describe(bad) },
            });
        }
    }
}
