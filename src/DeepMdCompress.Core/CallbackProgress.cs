using System;

namespace DeepMdCompress.Core;

/// <summary>
/// An IProgress that calls back synchronously on the reporting thread. System.Progress posts to a
/// SynchronizationContext instead, which a PowerShell pipeline thread does not have; cmdlets need the
/// callback on their own thread to call WriteProgress.
/// </summary>
public sealed class CallbackProgress<T> : IProgress<T>
{
    private readonly Action<T> _report;

    public CallbackProgress(Action<T> report) => _report = report ?? throw new ArgumentNullException(nameof(report));

    public void Report(T value) => _report(value);
}
