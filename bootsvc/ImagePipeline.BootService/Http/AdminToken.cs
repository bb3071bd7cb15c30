using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ImagePipeline.BootService.Http;

/// <summary>
/// The operator API's guard: every call under <c>/api/v1</c>, reads included (the inventory says
/// which machine deploys what, and when), needs <c>Authorization: Bearer ADMIN_TOKEN</c>; without
/// <c>--admin-token</c> the API is closed. Compared in constant time (over SHA-256 digests, so the
/// length does not leak either).
/// </summary>
public static class AdminToken
{
    public static bool IsPresented(HttpRequest request, string? expected)
    {
        const string scheme = "Bearer ";
        var header = request.Headers.Authorization.ToString();
        if (expected is null || !header.StartsWith(scheme, StringComparison.Ordinal))
            return false;
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim())), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }

    /// <param name="expected">the boot service's <c>--admin-token</c>; null: the API is closed</param>
    public static RouteGroupBuilder RequireAdminToken(this RouteGroupBuilder group, string? expected) => group.AddEndpointFilter(async (context, next) =>
    {
        var http = context.HttpContext;
        if (IsPresented(http.Request, expected))
            return await next(context);
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Text(expected is null
            ? "the boot service was started without --admin-token: its operator API is closed"
            : "the operator API needs the boot service's admin token: Authorization: Bearer TOKEN", statusCode: StatusCodes.Status401Unauthorized);
    });
}
