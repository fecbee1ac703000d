using System.Diagnostics.CodeAnalysis;

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

    /// <summary>
    /// Checks what <see cref="Parse"/> read: every name in <paramref name="required"/> present, and the query (when
    /// given) one of <c>filter</c>, <c>tumbling</c>, <c>hopping</c>, <c>sessions</c>. Otherwise writes the problem and
    /// <paramref name="usage"/> to standard error.
    /// </summary>
    /// <returns>Whether the arguments can be used; when not, the program should exit with 2.</returns>
    public static bool Validate([NotNullWhen(true)] Dictionary<string, string>? arguments, ReadOnlySpan<string> required, string usage)
    {
        if (arguments is null || !ContainsAll(arguments, required))
        {
            Console.Error.WriteLine(usage);
            return false;
        }

        if (arguments.TryGetValue("query", out var query) && query is not ("filter" or "tumbling" or "hopping" or "sessions"))
        {
            Console.Error.WriteLine($"error: unknown query '{query}'");
            Console.Error.WriteLine(usage);
            return false;
        }

        return true;
    }

    private static bool ContainsAll(Dictionary<string, string> arguments, ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (!arguments.ContainsKey(name))
            {
                return false;
            }
        }

        return true;
    }
}
