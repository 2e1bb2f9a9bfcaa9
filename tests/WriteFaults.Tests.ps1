# Fault injection for every write: read-only folder, directory as output, disk full, Ctrl+C mid-write,
# two processes writing one path. Each case: a clear error, the previous output intact, no temporary
# file left, the input file byte-identical.
BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $script:IsRoot = -not $IsWindows -and (id -u) -eq '0'
    $script:CanMount = $false
    if ($IsRoot) {
        $probe = Join-Path ([IO.Path]::GetTempPath()) ('mnt-probe-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory $probe | Out-Null
        mount -t tmpfs -o size=64k tmpfs $probe 2>$null
        if ($LASTEXITCODE -eq 0) { $script:CanMount = $true; umount $probe }
        Remove-Item $probe -Force
    }
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $tiny = [IO.Path]::Combine($LocalData, 'tiny_se_a.pbtxt')
    $inputHash = (Get-FileHash -LiteralPath $tiny).Hash
    $model = Import-FrozenModel -Path $tiny

    # A model with one large constant (8 MiB of doubles) so writes take long enough to interrupt.
    function New-BigModel([int] $doubles) {
        $g = $model.GetGraphDef().Clone()
        $values = [double[]]::new($doubles)
        for ($i = 0; $i -lt $doubles; $i++) { $values[$i] = $i * 0.001 }
        $tensor = [DeepMdCompress.Core.Graph.TensorEncoder]::Doubles($values, [long[]]@($doubles))
        $node = [DeepMdCompress.Core.Proto.NodeDef]::new()
        $node.Name = 'big/const'
        $node.Op = 'Const'
        $dtype = [DeepMdCompress.Core.Proto.AttrValue]::new(); $dtype.Type = 'DtDouble'
        $value = [DeepMdCompress.Core.Proto.AttrValue]::new(); $value.Tensor = $tensor
        $node.Attr.Add('dtype', $dtype)
        $node.Attr.Add('value', $value)
        $g.Node.Add($node)
        [DeepMdCompress.Core.Model.FrozenModelReader]::FromGraph($g, $null, 'Binary', [Threading.CancellationToken]::None)
    }
    $big = New-BigModel (1 -shl 20)

    function Get-Leftovers([string] $dir) { @(Get-ChildItem -LiteralPath $dir -Force -Filter '*.tmp') }
}

AfterAll {
    (Get-FileHash -LiteralPath $tiny).Hash | Should -Be $inputHash
}

Describe 'Write faults' {
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    It 'read-only output folder: clear error, nothing written' {
        $ro = Join-Path $dir 'ro'
        New-Item -ItemType Directory $ro | Out-Null
        Set-Content -LiteralPath (Join-Path $ro 'model.pb') -Value 'previous'
        if ($IsRoot) {
            if (-not $CanMount) { Set-ItResult -Skipped -Because 'running as root without mount: a read-only folder cannot be made'; return }
            # root ignores permission bits, so bind a read-only tmpfs holding the previous file
            $src = Join-Path $dir 'ro-src'
            Move-Item $ro $src
            New-Item -ItemType Directory $ro | Out-Null
            mount -t tmpfs -o size=1m tmpfs $ro
            Copy-Item (Join-Path $src 'model.pb') $ro
            mount -o remount,ro $ro
        }
        else { chmod 555 $ro }
        try {
            $model | Export-FrozenModel -Path (Join-Path $ro 'model.pb') -Force -ErrorAction SilentlyContinue -ErrorVariable err
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Match '^(OutputAccessDenied|OutputWriteFailed),'
            $err[0].Exception.Message | Should -Match 'model\.pb'
            Get-Content -LiteralPath (Join-Path $ro 'model.pb') | Should -Be 'previous'
            Get-Leftovers $ro | Should -BeNullOrEmpty
        }
        finally {
            if ($IsRoot) { umount $ro } else { chmod 755 $ro }
        }
    }

    It 'output path is a directory: clear error' {
        $model | Export-FrozenModel -LiteralPath $dir -Force -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputPathIsDirectory,*'
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }

    It 'disk full: clear error, previous file intact, no temporary file' -Skip:(-not $CanMount) {
        $full = Join-Path $dir 'full'
        New-Item -ItemType Directory $full | Out-Null
        mount -t tmpfs -o size=2m tmpfs $full
        try {
            $target = Join-Path $full 'model.pb'
            Set-Content -LiteralPath $target -Value 'previous'
            $big | Export-FrozenModel -Path $target -Force -ErrorAction SilentlyContinue -ErrorVariable err
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputWriteFailed,*'
            $err[0].Exception.Message | Should -Match 'space|full'
            Get-Content -LiteralPath $target | Should -Be 'previous'
            Get-Leftovers $full | Should -BeNullOrEmpty
        }
        finally { umount $full }
    }

    It 'Ctrl+C in the middle of a large write: no output, previous file intact' {
        $target = Join-Path $dir 'model.pbtxt'
        Set-Content -LiteralPath $target -Value 'previous'
        $iss = [initialsessionstate]::CreateDefault2()
        $iss.ImportPSModule($env:DEEPMDCOMPRESS_MODULE)
        $ps = [powershell]::Create($iss)
        try {
            $null = $ps.AddCommand('Export-FrozenModel').AddParameter('InputObject', $big).AddParameter('Path', $target).AddParameter('Force')
            $async = $ps.BeginInvoke()
            # wait until the temporary file exists, i.e. the write has started
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not (Get-Leftovers $dir) -and -not $async.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 5 }
            $started = [bool](Get-Leftovers $dir)
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $started | Should -BeTrue -Because 'the write must be interrupted while in progress'
            Get-Content -LiteralPath $target | Should -Be 'previous'
            Get-Leftovers $dir | Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }
    }

    It 'two processes writing the same new path: one file, complete, the loser gets OutputFileExists' {
        $target = Join-Path $dir 'race.pb'
        $bigFile = Join-Path $dir 'big.pb'
        $big | Export-FrozenModel -Path $bigFile
        $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
        $script = "Import-Module '$env:DEEPMDCOMPRESS_MODULE'; Import-FrozenModel '$bigFile' | Export-FrozenModel -Path '$target' -ErrorAction SilentlyContinue -ErrorVariable e; if (`$e) { `$e[0].FullyQualifiedErrorId } else { 'written' }"
        $jobs = 1..2 | ForEach-Object { Start-Process -FilePath $pwsh -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -RedirectStandardOutput (Join-Path $dir "out$_.txt") -PassThru }
        $jobs | Wait-Process -Timeout 120
        $results = 1..2 | ForEach-Object { (Get-Content (Join-Path $dir "out$_.txt") -Raw).Trim() }
        @($results | Where-Object { $_ -eq 'written' }).Count | Should -BeGreaterOrEqual 1
        $results | ForEach-Object { $_ | Should -Match '^(written|OutputFileExists,)' }
        (Get-FileHash $target).Hash | Should -Be (Get-FileHash $bigFile).Hash
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }

    It 'two processes overwriting the same path with -Force: the file is one complete copy' {
        $target = Join-Path $dir 'race.pb'
        Set-Content -LiteralPath $target -Value 'previous'
        $bigFile = Join-Path $dir 'big.pb'
        $big | Export-FrozenModel -Path $bigFile
        $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
        $script = "Import-Module '$env:DEEPMDCOMPRESS_MODULE'; Import-FrozenModel '$bigFile' | Export-FrozenModel -Path '$target' -Force"
        $jobs = 1..2 | ForEach-Object { Start-Process -FilePath $pwsh -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -PassThru }
        $jobs | Wait-Process -Timeout 120
        (Get-FileHash $target).Hash | Should -Be (Get-FileHash $bigFile).Hash
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }
}

Describe 'Compress-FrozenModel write faults' {
    BeforeAll {
        # A water-size generated model: its compressed form is ~30 MB, large enough to fill a small disk
        # and to be interrupted while being written.
        $src = Join-Path $TestDrive 'water.pb'
        New-SampleModel -TypeMap O, H -Sel 46, 92 -Neuron 25, 50, 100 -AxisNeuron 16 -FittingNeuron 32 -Seed 5 -MinNborDist 0.9 -Path $src
        $srcHash = (Get-FileHash $src).Hash
    }

    AfterAll {
        (Get-FileHash $src).Hash | Should -Be $srcHash -Because 'compression never touches its input'
    }

    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    It 'read-only output folder: clear error, previous output intact' -Skip:($IsRoot -and -not $CanMount) {
        $ro = Join-Path $dir 'ro'
        New-Item -ItemType Directory $ro | Out-Null
        if ($IsRoot) {
            mount -t tmpfs -o size=1m tmpfs $ro
            Set-Content -LiteralPath (Join-Path $ro 'c.pb') -Value 'previous'
            mount -o remount,ro $ro
        }
        else {
            Set-Content -LiteralPath (Join-Path $ro 'c.pb') -Value 'previous'
            chmod 555 $ro
        }
        try {
            Compress-FrozenModel $src (Join-Path $ro 'c.pb') -Force -ErrorAction SilentlyContinue -ErrorVariable err
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Match '^(OutputAccessDenied|OutputWriteFailed),'
            Get-Content -LiteralPath (Join-Path $ro 'c.pb') | Should -Be 'previous'
            Get-Leftovers $ro | Should -BeNullOrEmpty
        }
        finally { if ($IsRoot) { umount $ro } else { chmod 755 $ro } }
    }

    It 'output path is a directory: clear error' {
        Compress-FrozenModel $src $dir -Force -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputPathIsDirectory,*'
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }

    It 'disk full: clear error, previous output intact, no temporary file' -Skip:(-not $CanMount) {
        $full = Join-Path $dir 'full'
        New-Item -ItemType Directory $full | Out-Null
        mount -t tmpfs -o size=2m tmpfs $full
        try {
            $target = Join-Path $full 'c.pb'
            Set-Content -LiteralPath $target -Value 'previous'
            Compress-FrozenModel $src $target -Force -ErrorAction SilentlyContinue -ErrorVariable err
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputWriteFailed,*'
            $err[0].Exception.Message | Should -Match 'space|full'
            Get-Content -LiteralPath $target | Should -Be 'previous'
            Get-Leftovers $full | Should -BeNullOrEmpty
        }
        finally { umount $full }
    }

    It 'Ctrl+C during compression: no output, previous output intact' {
        $target = Join-Path $dir 'c.pbtxt'
        Set-Content -LiteralPath $target -Value 'previous'
        $iss = [initialsessionstate]::CreateDefault2()
        $iss.ImportPSModule($env:DEEPMDCOMPRESS_MODULE)
        $ps = [powershell]::Create($iss)
        try {
            $null = $ps.AddCommand('Compress-FrozenModel').AddParameter('InputPath', $src).AddParameter('OutputPath', $target).AddParameter('Force')
            $async = $ps.BeginInvoke()
            # stop as soon as the output is being written (or earlier, if it is still tabulating)
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Get-Leftovers $dir) -and -not $async.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 5 }
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            Get-Content -LiteralPath $target | Should -Be 'previous'
            Get-Leftovers $dir | Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }
    }

    It 'two processes compressing to the same new path: one complete file, the loser gets OutputFileExists' {
        $target = Join-Path $dir 'race.pb'
        $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
        $script = "Import-Module '$env:DEEPMDCOMPRESS_MODULE'; `$null = Compress-FrozenModel '$src' '$target' -ErrorAction SilentlyContinue -ErrorVariable e; if (`$e) { `$e[0].FullyQualifiedErrorId } else { 'written' }"
        $jobs = 1..2 | ForEach-Object { Start-Process -FilePath $pwsh -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -RedirectStandardOutput (Join-Path $dir "out$_.txt") -PassThru }
        $jobs | Wait-Process -Timeout 300
        $results = 1..2 | ForEach-Object { (Get-Content (Join-Path $dir "out$_.txt") -Raw).Trim() }
        @($results | Where-Object { $_ -eq 'written' }).Count | Should -BeGreaterOrEqual 1
        $results | ForEach-Object { $_ | Should -Match '^(written|OutputFileExists,)' }
        (Import-FrozenModel $target).IsCompressed | Should -BeTrue
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }
}
