using System.Net;
using System.Net.Http.Headers;
using ImagePipeline.BootService.Tests.Support;

namespace ImagePipeline.BootService.Tests.Http;

public sealed class BootFilesApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_range_request_gets_exactly_those_bytes_so_a_download_can_resume()
    {
        await using var service = await InProcessBootService.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/files/deploy/vmlinuz");
        request.Headers.Range = new RangeHeaderValue(1000, 1999);

        using var response = await service.Client.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
        response.Content.Headers.ContentRange!.ToString().ShouldBe($"bytes 1000-1999/{service.Kernel.Length}");
        (await response.Content.ReadAsByteArrayAsync(Ct)).ShouldBe(service.Kernel[1000..2000]);
    }

    [Theory]
    [InlineData("bytes=-100", 206, "bytes 299900-299999/300000", 100)]
    [InlineData("bytes=299990-", 206, "bytes 299990-299999/300000", 10)]
    [InlineData("bytes=299990-999999", 206, "bytes 299990-299999/300000", 10)]
    [InlineData("bytes=300000-", 416, "bytes */300000", 0)]
    [InlineData("bytes=0-1,5-6", 200, null, 300000)]
    [InlineData("lines=0-1", 200, null, 300000)]
    public async Task Range_forms_are_answered_as_RFC_9110_says(string range, int status, string? contentRange, int bytes)
    {
        await using var service = await InProcessBootService.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/files/deploy/vmlinuz");
        request.Headers.TryAddWithoutValidation("Range", range);

        using var response = await service.Client.SendAsync(request, Ct);
        var body = await response.Content.ReadAsByteArrayAsync(Ct);

        ((int)response.StatusCode).ShouldBe(status);
        response.Content.Headers.ContentRange?.ToString().ShouldBe(contentRange);
        body.Length.ShouldBe(bytes);
        if (status == 206)
            body.ShouldBe(service.Kernel[^bytes..]);
    }

    [Fact]
    public async Task An_unchanged_file_is_not_sent_again_and_a_stale_range_gets_the_whole_file()
    {
        await using var service = await InProcessBootService.StartAsync();
        using var first = await service.Client.GetAsync("/files/deploy/vmlinuz", Ct);
        var etag = first.Headers.ETag!;

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/files/deploy/vmlinuz");
        conditional.Headers.IfNoneMatch.Add(etag);
        using var notModified = await service.Client.SendAsync(conditional, Ct);
        using var stale = new HttpRequestMessage(HttpMethod.Get, "/files/deploy/vmlinuz");
        stale.Headers.Range = new RangeHeaderValue(10, 20);
        stale.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue("\"other\""));
        using var whole = await service.Client.SendAsync(stale, Ct);

        notModified.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        whole.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await whole.Content.ReadAsByteArrayAsync(Ct)).Length.ShouldBe(service.Kernel.Length);
    }

    [Fact]
    public async Task IPXE_binaries_are_served_to_anyone_that_netboots()
    {
        await using var service = await InProcessBootService.StartAsync();

        using var ipxe = await service.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/files/snponly.efi"), Ct);

        ipxe.StatusCode.ShouldBe(HttpStatusCode.OK);
        ipxe.Content.Headers.ContentLength!.Value.ShouldBe(new FileInfo("/usr/lib/ipxe/snponly.efi").Length);
    }

    [Fact]
    public async Task An_image_is_served_only_to_the_agent_of_a_machine_told_to_deploy_it_and_nothing_else_of_the_artifact_store_is()
    {
        await using var service = await InProcessBootService.StartAsync();
        const string deploying = "52:54:00:ff:00:01", idle = "52:54:00:ff:00:02";
        var stream = $"/images/{InProcessBootService.ImageId}/disk.raw.zst";
        var deployToken = await service.AgentTokenAsync(deploying, InProcessBootService.ImageId);
        var idleToken = await service.AgentTokenAsync(idle, desiredImage: null);

        using var anonymous = await GetAsync(service, stream, null);
        using var forged = await GetAsync(service, stream, "not-a-token");
        using var otherMachine = await GetAsync(service, stream, idleToken);
        using var manifest = await GetAsync(service, $"/images/{InProcessBootService.ImageId}/manifest.json", deployToken);
        using var image = await GetAsync(service, stream, deployToken);

        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        forged.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        otherMachine.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await otherMachine.Content.ReadAsStringAsync(Ct)).ShouldContain("its token opens only its own desired image");
        manifest.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await manifest.Content.ReadAsStringAsync(Ct)).ShouldNotContain("growRoot");
        image.StatusCode.ShouldBe(HttpStatusCode.OK);
        image.Headers.AcceptRanges.ShouldContain("bytes");
        (await image.Content.ReadAsByteArrayAsync(Ct)).Length.ShouldBe(4096);
    }

    private static async Task<HttpResponseMessage> GetAsync(InProcessBootService service, string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await service.Client.SendAsync(request, Ct);
    }

    [Theory]
    [InlineData("/files/..%2F..%2Fartifacts%2F1111111111111111111111111111111111111111111111111111111111111111%2Fmanifest.json")]
    [InlineData("/files/%2Fetc%2Fpasswd")]
    [InlineData("/files/deploy/..%2F..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/images/..%2Fbootsvc%2Fbootsvc.db")]
    [InlineData("/images/..%2F..%2Fbootsvc/bootsvc.db")]
    [InlineData("/files/..%5C..%5Cetc%5Cpasswd")]
    public async Task Path_traversal_over_HTTP_is_refused(string path)
    {
        await using var service = await InProcessBootService.StartAsync();

        using var response = await service.Client.GetAsync(path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        response.StatusCode.ShouldBeOneOf(HttpStatusCode.Forbidden, HttpStatusCode.NotFound, HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized);
        body.ShouldNotContain("root:");
        body.ShouldNotContain("growRoot");
        body.ShouldNotContain("SQLite format");
    }
}
