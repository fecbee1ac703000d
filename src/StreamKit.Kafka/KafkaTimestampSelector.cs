namespace StreamKit.Kafka;

/// <summary>Gives a record's message timestamp in epoch milliseconds (0 lets the producer use the current time).</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <param name="record">The record.</param>
public delegate long KafkaTimestampSelector<T>(in T record);
