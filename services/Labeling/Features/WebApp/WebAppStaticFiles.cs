namespace ActiveLabel.Labeling.Features.WebApp;

/// <summary>
/// Serves the annotator web app (wwwroot: plain HTML, CSS and JS, no build step) ahead of authentication, so the sign-in
/// page loads for anonymous browsers; every API call it makes is authenticated as usual. A startup filter puts the
/// files in front of the whole pipeline: after the authorization middleware, the fallback policy (sign-in required)
/// would apply to them too.
/// </summary>
internal sealed class WebAppStaticFiles : IStartupFilter
{
    /// <summary>
    /// Only this origin's own files run: no inline script or style, no plug-ins, no framing. Together with rendering
    /// user data through textContent, an item's text can never become markup or script.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                // Revalidate every time, so annotators get a new version of the app on their next page load.
                headers.CacheControl = "no-cache";
            },
        });
        next(app);
    };
}
