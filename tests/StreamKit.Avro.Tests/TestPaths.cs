using System.Runtime.CompilerServices;

namespace StreamKit.Avro.Tests;

internal static class TestPaths
{
    /// <summary>The checked-in Golden folder (source tree), so STREAMKIT_UPDATE_GOLDEN=1 can rewrite it.</summary>
    public static string GoldenSource([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "Golden");

    /// <summary>The Golden folder copied next to the test assembly.</summary>
    public static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);

    public static bool UpdateGolden => Environment.GetEnvironmentVariable("STREAMKIT_UPDATE_GOLDEN") == "1";

    public static string TempFile(string extension)
    {
        var dir = Path.Combine(Path.GetTempPath(), "streamkit-avro-tests");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, Guid.NewGuid().ToString("N") + extension);
    }
}
