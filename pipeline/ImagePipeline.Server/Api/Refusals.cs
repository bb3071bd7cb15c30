using Microsoft.AspNetCore.Http;

namespace ImagePipeline.Server.Api;

/// <summary>How the API answers a desk's refusal: its status, and its message as the body (what to fix).</summary>
public static class Refusals
{
    public static async Task<IResult> AnswerAsync(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (RequestRefusedException e)
        {
            return Results.Text(e.Message, statusCode: e.Status);
        }
    }
}
