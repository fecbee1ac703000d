using System.Buffers;

namespace StreamKit.Kinesis.Internal;

/// <summary>A response body in a pooled array; dispose returns it.</summary>
internal sealed class ResponseBuffer : IDisposable
{
    private byte[] _array;

    public ResponseBuffer(byte[] array, int length)
    {
        _array = array;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

    public static async ValueTask<ResponseBuffer> ReadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var hint = content.Headers.ContentLength is { } length and > 0 and < int.MaxValue ? (int)length : 16 * 1024;
        var array = ArrayPool<byte>.Shared.Rent(hint + 1);
        var used = 0;
        try
        {
            var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                while (true)
                {
                    if (used == array.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(array.Length * 2);
                        array.AsSpan(0, used).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(array);
                        array = bigger;
                    }

                    var read = await stream.ReadAsync(array.AsMemory(used), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return new ResponseBuffer(array, used);
                    }

                    used += read;
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(array);
            throw;
        }
    }

    public void Dispose()
    {
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = [];
        }
    }
}
