using System;
using System.Collections.Generic;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>
/// Buffers of released intermediates, reused by later nodes of the same run. An embedding net produces
/// many tensors of the same few sizes; handing a dead buffer to the next node of that size avoids
/// allocating (and zeroing) hundreds of megabytes per frame. Only buffers no live tensor refers to, and
/// that are neither constants nor feeds, are ever returned here (the interpreter tracks references).
/// </summary>
internal sealed class BufferPool
{
    private readonly Dictionary<(Type, int), Stack<Array>> _free = new();

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
    }

    /// <summary>A buffer of <paramref name="length"/> elements; with <paramref name="zeroed"/> false its content is undefined.</summary>
    public T[] Rent<T>(int length, bool zeroed)
    {
        if (_free.TryGetValue((typeof(T[]), length), out var stack) && stack.Count > 0)
        {
            var a = (T[])stack.Pop();
            if (zeroed)
            {
                Array.Clear(a, 0, a.Length);
            }

            return a;
        }

        return new T[length];
    }
}
