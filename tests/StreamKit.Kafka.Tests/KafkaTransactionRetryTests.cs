using Confluent.Kafka;

namespace StreamKit.Kafka.Tests;

/// <summary>The retry around the producer's transactional calls (send offsets, commit), without a broker.</summary>
public sealed class KafkaTransactionRetryTests
{
    [Fact]
    public void TransactionRetry_RetriableTwiceThenDone_CallsThreeTimes()
    {
        var calls = 0;

        KafkaProducer.TransactionRetry.Execute(() =>
        {
            if (++calls < 3)
            {
                throw new KafkaRetriableException(new Error(ErrorCode.RequestTimedOut));
            }
        });

        Assert.Equal(3, calls);
    }

    [Fact]
    public void TransactionRetry_RetriableEveryTime_ThrowsAfterThreeCalls()
    {
        var calls = 0;

        var error = Assert.Throws<KafkaRetriableException>(() => KafkaProducer.TransactionRetry.Execute(() =>
        {
            calls++;
            throw new KafkaRetriableException(new Error(ErrorCode.GroupLoadInProgress));
        }));

        Assert.Equal(ErrorCode.GroupLoadInProgress, error.Error.Code);
        Assert.Equal(3, calls);
    }

    [Fact]
    public void TransactionRetry_NotRetriable_ThrowsAfterOneCall()
    {
        var calls = 0;

        Assert.Throws<KafkaTxnRequiresAbortException>(() => KafkaProducer.TransactionRetry.Execute(() =>
        {
            calls++;
            throw new KafkaTxnRequiresAbortException(new Error(ErrorCode.InvalidTxnState));
        }));

        Assert.Equal(1, calls);
    }
}
