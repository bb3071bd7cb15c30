using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace ImagePipeline.Server.Webhooks;

/// <summary>
/// Whether a push webhook really comes from the forge: GitHub's <c>X-Hub-Signature-256:
/// sha256=HEX</c> and Gitea's <c>X-Gitea-Signature: HEX</c> (HMAC-SHA256 of the exact body with
/// the source's secret), or GitLab's <c>X-Gitlab-Token</c> (the secret itself). Compared in
/// constant time.
/// </summary>
public static class WebhookSignature
{
    /// <summary>Null when the request is authentic; otherwise why not, in words that say what to fix.</summary>
    public static string? Check(IHeaderDictionary headers, byte[] body, string? secret)
    {
        if (string.IsNullOrEmpty(secret))
            return "this source has no webhook secret; set one (POST /api/v1/sources with webhookSecret) and configure the same secret in the forge";
        if (headers.TryGetValue("X-Hub-Signature-256", out var github))
            return Hmac(github.ToString(), "sha256=", body, secret) ? null : "X-Hub-Signature-256 does not match the body: the secret differs from the source's, or the body was changed";
        if (headers.TryGetValue("X-Gitea-Signature", out var gitea))
            return Hmac(gitea.ToString(), "", body, secret) ? null : "X-Gitea-Signature does not match the body: the secret differs from the source's";
        if (headers.TryGetValue("X-Gitlab-Token", out var gitlab))
            return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(gitlab.ToString()), Encoding.UTF8.GetBytes(secret)) ? null : "X-Gitlab-Token is not the source's secret";
        return "no signature: send X-Hub-Signature-256 (GitHub), X-Gitea-Signature (Gitea) or X-Gitlab-Token (GitLab)";
    }

    public static string Sign(byte[] body, string secret) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private static bool Hmac(string header, string prefix, byte[] body, string secret)
    {
        if (!header.StartsWith(prefix, StringComparison.Ordinal))
            return false;
        byte[] given;
        try
        {
            given = Convert.FromHexString(header[prefix.Length..].Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(given, HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
    }
}
