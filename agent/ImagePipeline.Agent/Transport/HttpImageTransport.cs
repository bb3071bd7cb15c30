using System.Net.Http.Headers;

namespace ImagePipeline.Agent.Transport;

/// <summary>
/// Range requests over HTTP(S). Only the status line and headers are awaited; the body streams.
/// A boot service serves an image only to the agent of a machine told to deploy it:
/// <paramref name="authorization"/> carries that machine's token.
/// </summary>
public sealed class HttpImageTransport(HttpClient http, AuthenticationHeaderValue? authorization = null) : IImageTransport
{
    public async Task<ImageResponse> OpenAsync(Uri url, long offset, string? entityTag, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = authorization;
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
            if (entityTag is not null)
                request.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue(entityTag));
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var range = response.Content.Headers.ContentRange;
        var start = (int)response.StatusCode == 206 ? range?.From ?? -1 : 0;
        var total = range?.Length ?? ((int)response.StatusCode == 200 ? response.Content.Headers.ContentLength : null);
        return new ImageResponse((int)response.StatusCode, start, total, response.Headers.ETag?.Tag, body, response.ReasonPhrase);
    }
}
