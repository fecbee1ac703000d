using System.Text.RegularExpressions;

namespace StreamKit.Docs.Tests;

/// <summary>How a block is compiled (see <see cref="DocSnippetTests"/>).</summary>
public enum SnippetMode
{
    /// <summary>A whole C# file: usings, top-level statements, types.</summary>
    File,

    /// <summary>Class members.</summary>
    Members,

    /// <summary>Not compiled.</summary>
    Skip,
}

/// <summary>One <c>```csharp</c> block of a Markdown file, with its markers.</summary>
/// <param name="File">The Markdown file, relative to the repository root, with '/'.</param>
/// <param name="FenceLine">The 1-based line of the opening fence.</param>
/// <param name="Mode">How it is compiled.</param>
/// <param name="Code">The code, without the indentation the whole block shares.</param>
/// <param name="Given">Members the block uses but does not show.</param>
/// <param name="SkipReason">Why a skipped block is not compiled.</param>
public sealed partial record Snippet(string File, int FenceLine, SnippetMode Mode, string Code, string Given, string? SkipReason)
{
    /// <summary><c>FILE:LINE</c> of the fence.</summary>
    public string Location => $"{File}:{FenceLine}";

    /// <summary>Every C# block of README.md and docs/*.md.</summary>
    public static IReadOnlyList<Snippet> FindAll(string root)
    {
        var files = new List<string> { Path.Combine(root, "README.md") };
        files.AddRange(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal));
        var snippets = new List<Snippet>();
        foreach (var path in files)
        {
            snippets.AddRange(Find(Path.GetRelativePath(root, path).Replace('\\', '/'), System.IO.File.ReadAllLines(path)));
        }

        return snippets;
    }

    /// <summary>The C# blocks of one file's <paramref name="lines"/>.</summary>
    /// <exception cref="FormatException">A marker this test does not know, or a block without its closing fence.</exception>
    public static IEnumerable<Snippet> Find(string file, string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
            {
                continue;
            }

            var indent = lines[i].Length - lines[i].TrimStart().Length;
            var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
            if (end < 0)
            {
                throw new FormatException($"{file}:{i + 1}: the block is not closed");
            }

            var code = string.Join('\n', lines[(i + 1)..end].Select(l => l.Length >= indent && string.IsNullOrWhiteSpace(l[..indent]) ? l[indent..] : l.TrimStart()));
            var mode = SnippetMode.File;
            string? reason = null;
            var given = new List<string>();
            for (var m = i - 1; m >= 0 && lines[m].TrimStart().StartsWith("<!--", StringComparison.Ordinal); m--)
            {
                var marker = MarkerPattern().Match(lines[m]);
                if (!marker.Success)
                {
                    throw new FormatException($"{file}:{m + 1}: an HTML comment above a C# block must be <!-- snippet: members|skip REASON --> or <!-- given: DECLARATIONS -->");
                }

                var text = marker.Groups["text"].Value.Trim();
                if (marker.Groups["kind"].Value == "given")
                {
                    given.Insert(0, text);
                }
                else if (text == "members")
                {
                    mode = SnippetMode.Members;
                }
                else if (text.StartsWith("skip", StringComparison.Ordinal))
                {
                    mode = SnippetMode.Skip;
                    reason = text["skip".Length..].Trim();
                }
                else
                {
                    throw new FormatException($"{file}:{m + 1}: unknown snippet marker '{text}'");
                }
            }

            yield return new Snippet(file, i + 1, mode, code, string.Join('\n', given), reason);
            i = end;
        }
    }

    [GeneratedRegex(@"^\s*<!--\s*(?<kind>snippet|given):(?<text>.*)-->\s*$")]
    private static partial Regex MarkerPattern();
}
