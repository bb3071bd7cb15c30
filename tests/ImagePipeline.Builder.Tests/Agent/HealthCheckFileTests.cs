using System.Text.Json;
using ImagePipeline.Builder.Agent;
using ImagePipeline.Recipes;

namespace ImagePipeline.Builder.Tests.Agent;

public sealed class HealthCheckFileTests
{
    [Fact]
    public void The_recipe_s_checks_go_into_the_image_as_JSON_for_the_report_agent()
    {
        var recipe = RecipeParser.Parse("""
            name: web
            base: busybox
            validate:
              profiles: [bios-virtio]
              checks:
                - tcp: 22
                - http: { port: 80, path: /, status: 200, body: "debian-web" }
                - command: { run: "uname -r", output: "amd64" }
            """, "web.yaml");

        var json = JsonDocument.Parse(HealthCheckFile.ToJson(recipe.Validate)!).RootElement;

        json.GetArrayLength().ShouldBe(3);
        json[0].GetProperty("tcp").GetString().ShouldBe("22");
        json[1].GetProperty("http").GetProperty("body").GetString().ShouldBe("debian-web");
        json[2].GetProperty("command").GetProperty("run").GetString().ShouldBe("uname -r");
    }

    [Fact]
    public void A_recipe_without_checks_puts_no_file_in_the_image()
    {
        HealthCheckFile.ToJson(RecipeParser.Parse("name: tiny\nbase: busybox\nvalidate:\n  profiles: [bios-virtio]\n", "tiny.yaml").Validate).ShouldBeNull();
        HealthCheckFile.ToJson(RecipeParser.Parse("name: tiny\nbase: busybox\n", "tiny.yaml").Validate).ShouldBeNull();
    }
}
