using CsCheck;
using StreamKit.Core.Tests.Windows;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Pipeline;

/// <summary>Lambda and struct-functor pipelines (where, select, key, event time, aggregate selectors) give the same results, whether the window runs the where in its own loop or not.</summary>
public sealed class FunctorFormTests
{
    private const int MaxSize = 120;

    private static readonly Func<Ev, bool> s_where = static e => e.Value % 3 != 0;
    private static readonly Func<Ev, Ev> s_select = static e => e with { Value = e.Value + e.Key };

    public static TheoryData<FunctorForm, WindowKind, Stages> Forms()
    {
        var data = new TheoryData<FunctorForm, WindowKind, Stages>();
        foreach (var form in Enum.GetValues<FunctorForm>())
        {
            foreach (var kind in Enum.GetValues<WindowKind>())
            {
                data.Add(form, kind, Stages.WhereSelect);
                data.Add(form, kind, Stages.Where);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void StagesBeforeWindow_RandomStreams_MatchesReferenceModel(FunctorForm form, WindowKind kind, Stages stages)
    {
        Gen.Enum<LateEventPolicy>().SelectMany(policy => Scenario.Any(MaxSize, kind, policy)).Select(Gen.Enum<Agg>()).Sample((scenario, agg) =>
        {
            var model = ReferenceModel.Run(scenario, s_where, stages == Stages.WhereSelect ? s_select : null);
            var harness = WindowHarness.Build(scenario, agg, form, stages);
            harness.Feed(scenario);
            harness.Pipeline.Complete();
            harness.AssertMatches(model, agg, scenario);
        }, iter: 100);
    }

    [Theory]
    [InlineData(WindowKind.Tumbling)]
    [InlineData(WindowKind.Hopping)]
    [InlineData(WindowKind.Session)]
    [InlineData(WindowKind.Global)]
    public void LambdaAndStruct_SameInput_EmitIdenticalSequences(WindowKind kind)
    {
        Gen.Enum<LateEventPolicy>().SelectMany(policy => Scenario.Any(MaxSize, kind, policy)).Select(Gen.Enum<Agg>()).Sample((scenario, agg) =>
        {
            var lambda = WindowHarness.Build(scenario, agg, FunctorForm.Lambda, Stages.WhereSelect);
            var functor = WindowHarness.Build(scenario, agg, FunctorForm.Struct, Stages.WhereSelect);
            foreach (var harness in new[] { lambda, functor })
            {
                harness.Feed(scenario);
                harness.Pipeline.Complete();
            }

            Assert.Equal(lambda.Rows(), functor.Rows());
            Assert.Equal(lambda.Late.Records, functor.Late.Records);
            Assert.Equal(lambda.Pipeline.Counters.Late, functor.Pipeline.Counters.Late);
            Assert.Equal(lambda.Pipeline.Counters.Dropped, functor.Pipeline.Counters.Dropped);
        }, iter: 60);
    }
}
