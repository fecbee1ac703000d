using System.CommandLine;

namespace Clickstream;

/// <summary>What the samples' command lines share on System.CommandLine: the query option and how a bad command line ends.</summary>
public static class CommandLine
{
    private static readonly string[] s_queries = ["filter", "tumbling", "hopping", "sessions"];

    // Arguments are taken literally: no @file expansion (a value may start with '@').
    private static readonly ParserConfiguration s_parser = new() { ResponseFileTokenReplacer = null };

    // The programs handle Ctrl+C themselves (the Kafka job takes a final checkpoint, however long that takes) and
    // catch the failures they report; anything else should crash as it would without a parser in front.
    private static readonly InvocationConfiguration s_invocation = new() { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };

    /// <summary>A required <c>--name VALUE</c> option.</summary>
    public static Option<string> Required(string name, string description) => new(name) { Required = true, Description = description };

    /// <summary>The required <c>--query</c>: one of <c>filter</c>, <c>tumbling</c>, <c>hopping</c>, <c>sessions</c>.</summary>
    /// <remarks>Any other value is the parse error "unknown query '...'", which the tests and scripts look for.</remarks>
    public static Option<string> Query()
    {
        var query = Required("--query", "filter, tumbling, hopping or sessions");
        query.Validators.Add(static result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (Array.IndexOf(s_queries, value) < 0)
            {
                result.AddError($"unknown query '{value}'");
            }
        });
        query.CompletionSources.Add(s_queries);
        return query;
    }

    /// <summary>
    /// Parses <paramref name="args"/> for <paramref name="command"/> and runs its action; on a bad command line (a
    /// required option missing or without its value, an unknown one, a value its validator refuses) writes each
    /// problem and <paramref name="usage"/> to standard error instead and returns 2.
    /// </summary>
    /// <returns>The action's exit code, or 2 for a bad command line.</returns>
    public static Task<int> InvokeAsync(RootCommand command, string[] args, string usage)
    {
        ArgumentNullException.ThrowIfNull(command);
        var result = command.Parse(args, s_parser);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                Console.Error.WriteLine($"error: {error.Message}");
            }

            Console.Error.WriteLine(usage);
            return Task.FromResult(2);
        }

        return result.InvokeAsync(s_invocation);
    }
}
