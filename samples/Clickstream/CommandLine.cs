namespace Clickstream;

/// <summary>The samples' small command-line grammar: <c>--name value</c> options and bare <c>--flag</c>s, nothing else.</summary>
public static class CommandLine
{
    /// <summary>Reads <paramref name="args"/> into names (without the dashes) and values (empty for flags).</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="flags">Names that stand alone (<c>bounded</c>, <c>flush</c>).</param>
    /// <param name="options">Names that take a value (<c>input</c>, <c>query</c>, ...).</param>
    /// <returns>The arguments by name, or <see langword="null"/> when one is unknown or lacks its value (print the usage).</returns>
    public static Dictionary<string, string>? Parse(string[] args, ReadOnlySpan<string> flags, ReadOnlySpan<string> options)
    {
        ArgumentNullException.ThrowIfNull(args);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : null;
            if (name is not null && flags.Contains(name))
            {
                result[name] = "";
            }
            else if (name is not null && options.Contains(name) && i + 1 < args.Length)
            {
                result[name] = args[++i];
            }
            else
            {
                return null;
            }
        }

        return result;
    }
}
