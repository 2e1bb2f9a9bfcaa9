using System;
using System.Collections.Generic;
using System.Linq;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>
/// Buffers of released intermediates, reused by later nodes of the same run and, kept by the interpreter, of the
/// next runs. An embedding net produces many tensors of the same few sizes; handing a dead buffer to the next node
/// of that size avoids allocating (and zeroing, and first touching) hundreds of megabytes per frame. Only buffers no
/// live tensor refers to, and that are neither constants nor feeds, are ever returned here (the interpreter tracks
/// references).
/// </summary>
internal sealed class BufferPool
{
    private readonly Dictionary<(Type, int), Stack<Array>> _free = new();

    /// <summary>Bytes held by the pool.</summary>
    public long Bytes { get; private set; }

    public void Return(Array buffer)
    {
        if (buffer.Length < 1024)
        {
            return; // small buffers are cheap to allocate
        }

        var key = (buffer.GetType(), buffer.Length);
        if (!_free.TryGetValue(key, out var stack))
        {
            _free[key] = stack = new Stack<Array>();
        }

        stack.Push(buffer);
        Bytes += Size(buffer);
    }

    /// <summary>A buffer of <paramref name="length"/> elements; with <paramref name="zeroed"/> false its content is undefined.</summary>
    public T[] Rent<T>(int length, bool zeroed)
    {
        if (_free.TryGetValue((typeof(T[]), length), out var stack) && stack.Count > 0)
        {
            var a = (T[])stack.Pop();
            Bytes -= Size(a);
            if (zeroed)
            {
                Array.Clear(a, 0, a.Length);
            }

            return a;
        }

        return new T[length];
    }

    /// <summary>Lets go of buffers, largest first, until the pool holds at most <paramref name="maxBytes"/>.</summary>
    public void Trim(long maxBytes)
    {
        foreach (var key in _free.Keys.OrderByDescending(k => Size(k.Item1, k.Item2)).ToArray())
        {
            var stack = _free[key];
            while (Bytes > maxBytes && stack.Count > 0)
            {
                Bytes -= Size(stack.Pop());
            }

            if (stack.Count == 0)
            {
                _free.Remove(key);
            }
        }
    }

    private static long Size(Array a) => Size(a.GetType(), a.Length);

    private static long Size(Type arrayType, int length)
    {
        var e = arrayType.GetElementType();
        int size = e == typeof(double) || e == typeof(long) ? 8 : e == typeof(float) || e == typeof(int) ? 4 : e == typeof(bool) || e == typeof(byte) ? 1 : IntPtr.Size;
        return (long)length * size;
    }
}
