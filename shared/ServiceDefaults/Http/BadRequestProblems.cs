using System.Text.Json;
using System.Text.RegularExpressions;
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

    /// <summary>What the caller sent wrong, in the caller's terms (JSON paths, parameter names), not .NET's.</summary>
    public static string Describe(BadHttpRequestException exception)
    {
        if (exception.InnerException is JsonException json)
        {
            var position = $"at {json.Path ?? "$"} (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1})";
            return ConvertedTo().Match(json.Message) is { Success: true } converted
                ? $"The JSON body has a value of the wrong type {position}: expected {Expected(converted.Groups["type"].Value)}."
                : $"The body is not well-formed JSON {position}: {json.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0]}";
        }

        if (FailedToBind().Match(exception.Message) is { Success: true } bind)
        {
            return $"Parameter '{bind.Groups["name"].Value}' must be {Expected(bind.Groups["type"].Value)}; '{bind.Groups["value"].Value}' is not.";
        }

        if (exception.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return "Send the body as JSON with Content-Type: application/json.";
        }

        return exception.Message.Contains("body", StringComparison.OrdinalIgnoreCase) && exception.Message.Contains("provided", StringComparison.Ordinal)
            ? "The request body is empty: send a JSON object."
            : exception.Message;
    }

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
            "Boolean" or "bool" => "true or false",
            "Double" or "Single" or "Decimal" or "double" or "float" or "decimal" => "a number",
            "DateTimeOffset" or "DateTime" => "an ISO 8601 date and time",
            "String" or "string" => "a string",
            _ => "an object",
        };
    }

    [GeneratedRegex(@"could not be converted to (?<type>\S+?)\.? Path:")]
    private static partial Regex ConvertedTo();

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
