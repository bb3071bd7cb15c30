using ImagePipeline.Server.State;
using ImagePipeline.Server.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace ImagePipeline.Server.Promotion;

/// <summary>
/// Where promotions are asked for and decided: the rules (one rung at a time, one open request per
/// image and channel, four eyes, the channel's number of approvals, emergency: one approval with a
/// reason that lapses) and what approval does (channel, signature, attachment, audit). A request
/// it refuses is a <see cref="RequestRefusedException"/>, as at the rollout desk.
/// </summary>
public sealed class PromotionDesk(IDbContextFactory<PipelineDb> databases, Channels channels, ImageSigner signer, ServerOptions options, TimeProvider clock)
{
    /// <param name="channel">the channel asked for (null: the next one); only the next one is allowed</param>
    /// <param name="comment">why; an emergency needs one</param>
    public async Task<PromotionRequest> RequestAsync(string imageId, string requester, string? channel, string? comment, bool emergency, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var image = await db.Images.SingleOrDefaultAsync(i => i.ImageId == imageId, cancellationToken);
        if (image is null)
            throw new RequestRefusedException(404, $"no image version {imageId} (GET /api/v1/images lists them)");
        var next = channels.Next(image.Channel)
            ?? throw new RequestRefusedException(409, $"image {AuditEntries.ShortId(imageId)} is in {image.Channel}, the top channel: there is nowhere to promote it");
        if (channel is { } named && named != next)
        {
            throw new RequestRefusedException(400, channels.Exists(named)
                ? $"channel: image {AuditEntries.ShortId(imageId)} is in {image.Channel}; it can go to {next} only (one channel at a time)"
                : $"channel: no channel '{named}'; the channels are {string.Join(" → ", channels.Names)}");
        }

        if (emergency && string.IsNullOrWhiteSpace(comment))
            throw new RequestRefusedException(400, "comment: an emergency promotion needs a written reason");
        if (await db.Promotions.AnyAsync(p => p.ImageId == imageId && p.ToChannel == next && p.State == PromotionState.Pending, cancellationToken))
            throw new RequestRefusedException(409, $"image {AuditEntries.ShortId(imageId)} already has a pending promotion to {next}");
        var now = Now;
        var promotion = new PromotionRequest
        {
            ImageId = imageId, FromChannel = image.Channel, ToChannel = next, RequestedBy = requester, RequestedAt = now, Comment = comment?.Trim(),
            ApprovalsNeeded = emergency ? 1 : channels.ApprovalsFor(next), State = PromotionState.Pending, Emergency = emergency,
        };
        db.Promotions.Add(promotion);
        db.Audit.Add(Audit(requester, "promotion-requested", promotion, $"{image.RecipeName} {AuditEntries.ShortId(imageId)} {image.Channel} → {next}{(promotion.Comment is null ? "" : $" — {promotion.Comment}")}"));
        await db.SaveChangesAsync(cancellationToken);
        return promotion;
    }

    /// <summary>
    /// One approver's decision. Two decisions at once (one person's double click on two servers,
    /// or two approvers) are kept apart by the store: a unique (request, approver) pair and the
    /// request's <see cref="PromotionRequest.Revision"/>. The one saved second is decided again on
    /// what the first saved, so it finds its own approval counted already, or counts both.
    /// </summary>
    public async Task<PromotionRequest> DecideAsync(long id, string approver, bool approve, string? comment,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await DecideOnceAsync(id, approver, approve, comment, cancellationToken);
            }
            catch (DbUpdateException) when (attempt < 5)
            {
                // A concurrent decision was saved first (the revision moved, or this approver's row exists): decide again on it.
            }
        }
    }

    private async Task<PromotionRequest> DecideOnceAsync(long id, string approver, bool approve, string? comment,
        CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var promotion = await db.Promotions.Include(p => p.Approvals).SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (promotion is null)
            throw new RequestRefusedException(404, $"no promotion {id}");
        if (promotion.State != PromotionState.Pending)
            throw new RequestRefusedException(409, $"promotion {id} is {promotion.State.ToString().ToLowerInvariant()} already");
        if (promotion.RequestedBy == approver)
            throw new RequestRefusedException(409, $"four eyes: {approver} requested promotion {id}, so someone else must approve or reject it");
        if (promotion.Approvals.Any(a => a.By == approver))
            throw new RequestRefusedException(409, $"{approver} has decided on promotion {id} already; it needs another approver");
        if (promotion.Emergency && approve && string.IsNullOrWhiteSpace(comment))
            throw new RequestRefusedException(400, "comment: approving an emergency promotion needs a written reason");
        var image = await db.Images.SingleAsync(i => i.ImageId == promotion.ImageId, cancellationToken);
        if (approve && image.Channel != promotion.FromChannel)
            throw new RequestRefusedException(409, $"image {AuditEntries.ShortId(image.ImageId)} moved to {image.Channel} since this request: ask again");

        var now = Now;
        promotion.Revision++;
        promotion.Approvals.Add(new PromotionApproval { By = approver, At = now, Approved = approve, Comment = comment?.Trim() });
        if (!approve)
        {
            promotion.State = PromotionState.Rejected;
            promotion.DecidedAt = now;
            db.Audit.Add(Audit(approver, "promotion-rejected", promotion, comment));
        }
        else if (promotion.Approvals.Count(a => a.Approved) < promotion.ApprovalsNeeded)
        {
            db.Audit.Add(Audit(approver, "promotion-approval", promotion, $"{promotion.Approvals.Count(a => a.Approved)} of {promotion.ApprovalsNeeded}{Said(comment)}"));
        }
        else
        {
            promotion.State = PromotionState.Approved;
            promotion.DecidedAt = now;
            if (promotion.Emergency)
                promotion.ExpiresAt = now + options.EmergencyApprovalLifetime;
            image.Channel = promotion.ToChannel;
            image.PromotedAt = now;
            image.Signature = signer.Sign(image.ImageId);
            image.SignedBy = approver;
            var attachable = ImageSigner.IsInStore(options.DataDirectory, image.ImageId);
            db.Audit.Add(Audit(approver, "promotion-approved", promotion, comment));
            db.Audit.Add(Audit(approver, "image-signed", promotion,
                $"{image.RecipeName} {AuditEntries.ShortId(image.ImageId)} is in {promotion.ToChannel}, signed{(attachable ? "" : " (not in this server's artifact store: no attachment)")}"
                + (promotion.ExpiresAt is { } expires ? $"; emergency approval valid until {expires:yyyy-MM-dd HH:mm} UTC" : "")));
        }

        await db.SaveChangesAsync(cancellationToken);
        if (promotion.State != PromotionState.Pending)
        {
            // From the request to the decision, in the trace of the run that made the image.
            var span = PipelineTracing.Record("pipeline.promotion", await PipelineTracing.ImageTraceAsync(db, image.ImageId, cancellationToken),
                new DateTimeOffset(DateTime.SpecifyKind(promotion.RequestedAt, DateTimeKind.Utc)), clock.GetUtcNow(),
                ("imagepipeline.promotion", promotion.Id), ("imagepipeline.image", image.ImageId), ("imagepipeline.channel", promotion.ToChannel),
                ("imagepipeline.decision", promotion.State.ToString().ToLowerInvariant()), ("imagepipeline.emergency", promotion.Emergency));
            if (promotion.State == PromotionState.Rejected)
                PipelineTracing.Failed(span, "rejected");
        }

        // Attached once the approval is saved: a decision that loses a race leaves no signature beside an unapproved image.
        if (promotion.State == PromotionState.Approved && image.Signature is { } signature)
            ImageSigner.Attach(options.DataDirectory, image.ImageId, signature, signer.SignChunkIndex(options.DataDirectory, image.ImageId));
        return promotion;
    }

    private AuditEntry Audit(string actor, string action, PromotionRequest promotion, string? detail) =>
        AuditEntries.For(actor, action, promotion.Emergency, $"promotion {promotion.Id}: {AuditEntries.ShortId(promotion.ImageId)} → {promotion.ToChannel}{Said(detail)}", Now);

    private static string Said(string? text) => string.IsNullOrWhiteSpace(text) ? "" : $": {text.Trim()}";

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
