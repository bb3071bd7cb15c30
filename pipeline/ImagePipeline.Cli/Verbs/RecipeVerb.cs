using System.CommandLine;
using ImagePipeline.Recipes;

namespace ImagePipeline.Cli.Verbs;

/// <summary><c>imagepipe recipe lint FILE...</c>: check recipes without building; errors name file, line, column and the fix.</summary>
public static class RecipeVerb
{
    public static Command Create()
    {
        var files = new Argument<string[]>("recipe") { Description = "recipe YAML files", Arity = ArgumentArity.OneOrMore };
        var lint = new Command("lint", "Check recipes: unknown fields, wrong types, missing sources, impossible sizes, bad names.") { files };
        lint.SetAction(parse =>
        {
            var failed = false;
            foreach (var file in parse.GetValue(files)!)
            {
                if (TryLoad(file, out var recipe))
                    Console.WriteLine($"{file}: ok ({recipe!.Name}, {recipe.Base}, {recipe.Files.Count} files, {recipe.Commands.Count} commands)");
                else
                    failed = true;
            }

            return failed ? ExitCodes.InvalidInput : ExitCodes.Success;
        });

        return new Command("recipe", "Work with recipe files.") { lint };
    }

    /// <summary>Loads a recipe, printing every lint error to stderr.</summary>
    public static bool TryLoad(string file, out Recipe? recipe)
    {
        try
        {
            recipe = RecipeParser.Load(file);
            return true;
        }
        catch (RecipeLintException e)
        {
            foreach (var error in e.Errors)
                Console.Error.WriteLine(error with { File = file });
            recipe = null;
            return false;
        }
    }
}
