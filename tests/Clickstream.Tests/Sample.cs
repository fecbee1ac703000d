
namespace Clickstream.Tests;

/// <summary>Runs the built sample as a user does: <c>dotnet Clickstream.dll ARGS</c>.</summary>
internal static class Sample
{
    public static (int Exit, string Error) Execute(params string[] args)
    {
        var (exit, _, error) = SampleProcess.Run("Clickstream.dll", args);
        return (exit, error);
    }
}
