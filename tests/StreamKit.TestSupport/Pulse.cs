using System.Diagnostics;

namespace StreamKit.TestSupport;

/// <summary>
/// Wakes a test each time the code under test does something (a record decoded, a batch delivered, a line printed, a
/// timer made), so that the test waits for its condition on those events instead of sleeping or polling on a period.
/// </summary>
/// <remarks>
/// Call <see cref="Notify"/> from the callback the code under test offers; await <see cref="WaitUntilAsync"/>. The
/// timeout is only a guard that keeps a broken test from hanging: it fails the test, it never decides an outcome.
/// Thread-safe.
/// </remarks>
public sealed class Pulse
{
    /// <summary>The guard used when a test gives none: far beyond any wait on a healthy run.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private TaskCompletionSource _next = New();

    /// <summary>Wakes every waiter to re-check its condition.</summary>
    public void Notify() => Interlocked.Exchange(ref _next, New()).TrySetResult();

    /// <summary>Returns once <paramref name="condition"/> holds, checking it now and after each <see cref="Notify"/>.</summary>
    /// <param name="condition">What the test waits for; must become true through something that calls <see cref="Notify"/>.</param>
    /// <param name="what">Says what did not happen when the guard runs out.</param>
    /// <param name="timeout">The guard; <see cref="DefaultTimeout"/> when not given.</param>
    /// <param name="watched">Tasks (runs of the code under test) whose failure ends the wait with their exception, and whose end wakes it.</param>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, params Task[] watched)
    {
        var limit = timeout ?? DefaultTimeout;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            // Take the signal before checking, so that a Notify between the check and the wait is not lost.
            var next = Volatile.Read(ref _next).Task;
            if (condition())
            {
                return;
            }

            if (Array.Find(watched, static t => t.IsFaulted) is { } failed)
            {
                await failed; // rethrows the run's failure: more telling than the timeout
            }

            var remaining = limit - Stopwatch.GetElapsedTime(started);
            Assert.True(remaining > TimeSpan.Zero, $"{what} did not happen within {limit}");
            var pending = watched.Where(static t => !t.IsCompleted).Append(next);
            try
            {
                await Task.WhenAny(pending).WaitAsync(remaining);
            }
            catch (TimeoutException)
            {
                Assert.True(condition(), $"{what} did not happen within {limit}");
                return;
            }
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
