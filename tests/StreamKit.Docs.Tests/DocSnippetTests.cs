using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace StreamKit.Docs.Tests;

/// <summary>
/// Every <c>```csharp</c> block of README.md and docs/*.md compiles against the StreamKit packages, so the docs show the
/// API that exists. Errors name the Markdown file and line.
/// </summary>
/// <remarks>
/// <para>How a block is compiled is said by HTML comments on the lines right above its fence (invisible when rendered):</para>
/// <list type="bullet">
/// <item>none: the block is a whole C# file of a console app: <c>using</c> directives, top-level statements, then types.</item>
/// <item><c>&lt;!-- snippet: members --&gt;</c>: the block is class members (methods, fields), compiled inside a class.</item>
/// <item><c>&lt;!-- snippet: skip REASON --&gt;</c>: not compiled, for a reason given (e.g. a package that does not restore here).</item>
/// <item><c>&lt;!-- given: DECLARATIONS --&gt;</c>: what the block uses but does not show, as members of the class the
/// top-level statements run in (<c>static IRecordSink&lt;ClickEvent&gt; sink = null!;</c>, a nested type), so that
/// the block's own types are checked.</item>
/// </list>
/// <para>Every block also sees the implicit usings of a console app, every public StreamKit namespace and the sample's
/// <c>Clickstream</c> namespace (its <c>ClickEvent</c>, <c>ClickEvents.Map</c> and <c>Queries</c> are the docs' running
/// example), as a user of those packages would import them.</para>
/// </remarks>
public sealed class DocSnippetTests
{
    private static readonly Lazy<IReadOnlyList<Snippet>> s_snippets = new(() => Snippet.FindAll(RepositoryRoot()));
    private static readonly Lazy<IReadOnlyList<MetadataReference>> s_references = new(LoadReferences);

    public static TheoryData<string> Blocks()
    {
        var data = new TheoryData<string>();
        foreach (var snippet in s_snippets.Value)
        {
            if (snippet.Mode != SnippetMode.Skip)
            {
                data.Add(snippet.Location);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_Compiles(string location)
    {
        var snippet = s_snippets.Value.Single(s => s.Location == location);

        var errors = Compile(snippet);

        Assert.True(errors.Count == 0, $"{location} does not compile:\n{string.Join('\n', errors)}\n\n{snippet.Code}");
    }

    [Fact]
    public void Markers_EverySkipSaysWhyAndTheDocsHaveBlocks()
    {
        var snippets = s_snippets.Value;

        Assert.True(snippets.Count(s => s.Mode != SnippetMode.Skip) >= 10, "the docs' C# blocks were not found");
        Assert.All(snippets.Where(s => s.Mode == SnippetMode.Skip), s => Assert.False(string.IsNullOrWhiteSpace(s.SkipReason), $"{s.Location}: a skip without a reason"));
    }

    [Fact]
    public void Compile_BrokenBlock_ReportsTheMarkdownLine()
    {
        var snippet = new Snippet("docs/example.md", 10, SnippetMode.File, "var pipeline = StreamPipeline.Create<ClickEvent>(static e => e.Ts);\npipeline.NoSuchMethod();", "", null);

        var error = Assert.Single(Compile(snippet));

        Assert.StartsWith("docs/example.md:12:", error, StringComparison.Ordinal); // fence on 10, code from 11
        Assert.Contains("NoSuchMethod", error, StringComparison.Ordinal);
    }

    /// <summary>The block's errors as <c>FILE:LINE: CODE message</c>, lines counted in the Markdown file.</summary>
    private static List<string> Compile(Snippet snippet)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var (prefix, suffix, kind) = snippet.Mode == SnippetMode.Members
            ? ("public partial class Program\n{\n", "\n}\n", OutputKind.DynamicallyLinkedLibrary)
            : ("", "\n", OutputKind.ConsoleApplication);
        var prefixLines = prefix.Count(c => c == '\n');
        var block = CSharpSyntaxTree.ParseText(prefix + snippet.Code + suffix, parse, path: snippet.File);
        var given = CSharpSyntaxTree.ParseText($"public partial class Program\n{{\n{snippet.Given}\n}}\n", parse, path: snippet.File + " (given)");
        var usings = CSharpSyntaxTree.ParseText(GlobalUsings(), parse, path: "global usings");
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [block, given, usings],
            s_references.Value,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: false));

        var errors = new List<string>();
        foreach (var diagnostic in compilation.GetDiagnostics())
        {
            if (diagnostic.Severity != DiagnosticSeverity.Error)
            {
                continue;
            }

            var span = diagnostic.Location.GetLineSpan();
            var where = span.Path == snippet.File
                ? $"{snippet.File}:{snippet.FenceLine + 1 + span.StartLinePosition.Line - prefixLines}"
                : span.Path;
            errors.Add($"{where}: {diagnostic.Id} {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        return errors;
    }

    /// <summary>What a console app imports implicitly, every public StreamKit namespace, and the sample's.</summary>
    private static string GlobalUsings()
    {
        string[] implicitUsings = ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks", "Clickstream"];
        var streamKit = Directory.GetFiles(AppContext.BaseDirectory, "StreamKit.*.dll")
            .Where(static path => !path.EndsWith(".Tests.dll", StringComparison.Ordinal) && !path.EndsWith("StreamKit.TestSupport.dll", StringComparison.Ordinal))
            .Select(static path => System.Reflection.Assembly.Load(System.Reflection.AssemblyName.GetAssemblyName(path)))
            .SelectMany(static a => a.GetExportedTypes())
            .Select(static t => t.Namespace)
            .OfType<string>()
            .Where(static n => !n.Contains(".Internal", StringComparison.Ordinal));
        return string.Concat(implicitUsings.Concat(streamKit).Distinct().Order(StringComparer.Ordinal).Select(n => $"global using {n};\n"));
    }

    /// <summary>The platform's assemblies and every managed assembly next to this test: what the test project references.</summary>
    private static List<MetadataReference> LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        paths.AddRange(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"));
        var references = new List<MetadataReference>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in paths)
        {
            if (!names.Add(Path.GetFileNameWithoutExtension(path)) || !IsManaged(path))
            {
                continue;
            }

            references.Add(MetadataReference.CreateFromFile(path));
        }

        return references;
    }

    private static bool IsManaged(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "StreamKit.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No StreamKit.sln above {AppContext.BaseDirectory}.");
    }
}
