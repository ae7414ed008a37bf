using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace ActiveLabel.ServiceDefaults.Telemetry;

/// <summary>
/// Names ASP.NET Core's server span after its route, as OpenTelemetry's ASP.NET Core instrumentation would (that
/// package does not restore here): without it every request is an anonymous <c>Microsoft.AspNetCore.Hosting.HttpRequestIn</c>.
/// </summary>
internal static class HttpServerSpans
{
    public static IApplicationBuilder UseHttpServerSpanNames(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            finally
            {
                if (context.Features.Get<IHttpActivityFeature>()?.Activity is { IsAllDataRequested: true } activity)
                {
                    Describe(activity, context);
                }
            }
        });

    private static void Describe(Activity activity, HttpContext context)
    {
        // The route template, not the path: span names must not carry ids (one name per operation).
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        activity.DisplayName = route is null ? context.Request.Method : $"{context.Request.Method} {route}";
        activity.SetTag("http.request.method", context.Request.Method);
        activity.SetTag("http.route", route);
        activity.SetTag("url.path", context.Request.Path.Value);
        activity.SetTag("http.response.status_code", context.Response.StatusCode);
    }
}
