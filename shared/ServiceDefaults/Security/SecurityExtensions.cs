using ActiveLabel.Persistence.Entities;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace ActiveLabel.ServiceDefaults.Security;

/// <summary>Authorization policy names; a policy per role set, so endpoints say who may call them.</summary>
public static class Policies
{
    /// <summary>Administrators only.</summary>
    public const string Admin = "admin";

    /// <summary>Annotators and administrators.</summary>
    public const string Annotate = "annotate";

    /// <summary>Ingest clients and administrators.</summary>
    public const string Ingest = "ingest";
}

internal static class SecurityExtensions
{
    public static IServiceCollection AddPlatformAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(ApiTokenAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            // Secure by default: an endpoint that declares nothing still requires a valid token.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Admin, p => p.RequireRole(nameof(UserRole.Admin)))
            .AddPolicy(Policies.Annotate, p => p.RequireRole(nameof(UserRole.Annotator), nameof(UserRole.Admin)))
            .AddPolicy(Policies.Ingest, p => p.RequireRole(nameof(UserRole.Ingest), nameof(UserRole.Admin)));
        return services;
    }
}
