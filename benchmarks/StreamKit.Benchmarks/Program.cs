using BenchmarkDotNet.Running;
using StreamKit.Benchmarks;
using StreamKit.Benchmarks.Reporting;
using StreamKit.Benchmarks.Suite;

// Modes:
//   (default) / --full     the whole suite with BenchmarkDotNet's default job (out of process)
//   --quick                few iterations, in process: the suite in a few minutes (CI)
//   --verify               only check that every variant gives the hand-written loop's answers
//   --paired [Q1 Q2 ...]   run each query's variants round-robin and print fastest/median ratios (a cross-check
//                          of BenchmarkDotNet's ratios on a busy machine; not timed by BenchmarkDotNet)
//   --check-budget <dir|json>... [--budget <file>] [--chart <svg>] [--markdown <md>] [--failed-list <txt>] [--allow-missing]
//                          read BenchmarkDotNet's JSON results (a later input's figures replace an earlier one's),
//                          print the summary, exit 1 on a blown allocation budget; --failed-list names the offenders
//   --memory [--records N] [--bound B] [--record-bytes N] [--flush-ms N]
//                          one runner over a generated input into a slow sink that buffers until flushed; prints
//                          the peak resident set (VmHWM), which follows PipelineRunnerOptions.MaxUnflushedOutput (B), not N
// Other arguments go to BenchmarkSwitcher (--filter, --artifacts, ...); without --filter everything runs.
if (args.Contains("--check-budget"))
{
    return BudgetCheck.Run(args);
}

if (args.Contains("--memory"))
{
    return MemoryRun.Run(args, Console.Out);
}

if (args.Contains("--verify"))
{
    foreach (var query in Catalogue.All)
    {
        Verification.Verify(query);
    }

    DecodeBenchmarks.Verify();

    Console.WriteLine("All variants agree.");
    return 0;
}

if (args.Contains("--paired"))
{
    PairedRun.Run([.. args.Where(static a => a != "--paired")], Console.Out);
    return 0;
}

var quick = args.Contains("--quick");
HighCardinality.Full = !quick;
var rest = args.Where(static a => a is not "--quick" and not "--full").ToList();
if (!rest.Contains("--filter") && !rest.Contains("-f"))
{
    // The key sweep (27 benchmarks, three more data sets) runs under --full or when asked for by name
    // (--filter '*Sweep*'): in CI's quick run it would double the time, and HighCard* covers 1M keys there.
    rest.Add("--filter");
    rest.AddRange(quick
        ? typeof(BenchConfig).Assembly.GetTypes()
            .Where(static t => !t.IsAbstract && !t.Name.StartsWith("Sweep", StringComparison.Ordinal) && t.GetMethods().Any(static m => m.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), true)))
            .Select(static t => $"*.{t.Name}.*")
        : ["*"]);
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run([.. rest], BenchConfig.Create(quick));
var failed = summaries.Any(static s => s.HasCriticalValidationErrors || s.Reports.Any(static r => !r.Success));
return failed ? 1 : 0;
