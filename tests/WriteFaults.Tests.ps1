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

    # One refused write: exactly one error of the expected id, the previous file intact, no temporary file.
    function Assert-WriteRefused($err, [string] $idPattern, [string] $target) {
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Match $idPattern
        Get-Content -LiteralPath $target | Should -Be 'previous'
        Get-Leftovers (Split-Path $target) | Should -BeNullOrEmpty
    }

    # Runs $write (given the target path; returns its error records) on a 2 MB tmpfs holding a previous file.
    function Test-DiskFull([string] $dir, [string] $name, [scriptblock] $write) {
        $full = Join-Path $dir 'full'
        New-Item -ItemType Directory $full | Out-Null
        mount -t tmpfs -o size=2m tmpfs $full
        try {
            $target = Join-Path $full $name
            Set-Content -LiteralPath $target -Value 'previous'
            $err = & $write $target
            Assert-WriteRefused $err '^OutputWriteFailed,' $target
            $err[0].Exception.Message | Should -Match 'space|full'
        }
        finally { umount $full }
    }

    # Starts one command in a runspace, presses Ctrl+C ($ps.Stop()) once its temporary file exists (or the
    # deadline passes), and checks the previous file survived. Returns whether the write had started.
    function Test-StopMidWrite([string] $dir, [string] $target, [string] $command, [hashtable] $parameters, [int] $seconds) {
        Set-Content -LiteralPath $target -Value 'previous'
        $iss = [initialsessionstate]::CreateDefault2()
        $iss.ImportPSModule($env:DEEPMDCOMPRESS_MODULE)
        $ps = [powershell]::Create($iss)
        try {
            $null = $ps.AddCommand($command).AddParameters($parameters).AddParameter('Force')
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds($seconds)
            while (-not (Get-Leftovers $dir) -and -not $async.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 5 }
            $started = [bool](Get-Leftovers $dir)
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            Get-Content -LiteralPath $target | Should -Be 'previous'
            Get-Leftovers $dir | Should -BeNullOrEmpty
            $started
        }
        finally { $ps.Dispose() }
    }

    # Runs $script in two pwsh processes at once; returns what each printed.
    function Invoke-Racers([string] $dir, [string] $script, [int] $seconds) {
        $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
        $jobs = 1..2 | ForEach-Object { Start-Process -FilePath $pwsh -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -RedirectStandardOutput (Join-Path $dir "out$_.txt") -PassThru }
        $jobs | Wait-Process -Timeout $seconds
        1..2 | ForEach-Object { "$(Get-Content (Join-Path $dir "out$_.txt") -Raw)".Trim() }
    }

    function Assert-OneWinner([string[]] $results) {
        @($results | Where-Object { $_ -eq 'written' }).Count | Should -BeGreaterOrEqual 1
        $results | ForEach-Object { $_ | Should -Match '^(written|OutputFileExists,)' }
    }
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
            Assert-WriteRefused $err '^(OutputAccessDenied|OutputWriteFailed),' (Join-Path $ro 'model.pb')
            $err[0].Exception.Message | Should -Match 'model\.pb'
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
        Test-DiskFull $dir 'model.pb' {
            param($target)
            $big | Export-FrozenModel -Path $target -Force -ErrorAction SilentlyContinue -ErrorVariable err
            $err
        }
    }

    It 'Ctrl+C in the middle of a large write: no output, previous file intact' {
        $target = Join-Path $dir 'model.pbtxt'
        $started = Test-StopMidWrite $dir $target 'Export-FrozenModel' @{ InputObject = $big; Path = $target } 30
        $started | Should -BeTrue -Because 'the write must be interrupted while in progress'
    }

    It 'two processes writing the same new path: one file, complete, the loser gets OutputFileExists' {
        $target = Join-Path $dir 'race.pb'
        $bigFile = Join-Path $dir 'big.pb'
        $big | Export-FrozenModel -Path $bigFile
        $script = "Import-Module '$env:DEEPMDCOMPRESS_MODULE'; Import-FrozenModel '$bigFile' | Export-FrozenModel -Path '$target' -ErrorAction SilentlyContinue -ErrorVariable e; if (`$e) { `$e[0].FullyQualifiedErrorId } else { 'written' }"
        Assert-OneWinner (Invoke-Racers $dir $script 120)
        (Get-FileHash $target).Hash | Should -Be (Get-FileHash $bigFile).Hash
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }

    It 'two processes overwriting the same path with -Force: the file is one complete copy' {
        $target = Join-Path $dir 'race.pb'
        Set-Content -LiteralPath $target -Value 'previous'
        $bigFile = Join-Path $dir 'big.pb'
        $big | Export-FrozenModel -Path $bigFile
        $script = "Import-Module '$env:DEEPMDCOMPRESS_MODULE'; Import-FrozenModel '$bigFile' | Export-FrozenModel -Path '$target' -Force"
        $null = Invoke-Racers $dir $script 120
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
            Assert-WriteRefused $err '^(OutputAccessDenied|OutputWriteFailed),' (Join-Path $ro 'c.pb')
        }
        finally { if ($IsRoot) { umount $ro } else { chmod 755 $ro } }
    }

    It 'output path is a directory: the output goes into it under dp compress''s default name' {
        $s = Compress-FrozenModel $src $dir -Force
        $s.OutputPath | Should -Be (Join-Path $dir (([IO.Path]::GetFileNameWithoutExtension($src)) + '_compressed.pb'))
        (Import-FrozenModel $s.OutputPath).IsCompressed | Should -BeTrue
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }

    It 'disk full: clear error, previous output intact, no temporary file' -Skip:(-not $CanMount) {
        Test-DiskFull $dir 'c.pb' {
            param($target)
            Compress-FrozenModel $src $target -Force -ErrorAction SilentlyContinue -ErrorVariable err
            $err
        }
    }

    It 'Ctrl+C during compression: no output, previous output intact' {
        # stops as soon as the output is being written (or earlier, if it is still tabulating)
        $target = Join-Path $dir 'c.pbtxt'
        $null = Test-StopMidWrite $dir $target 'Compress-FrozenModel' @{ InputPath = $src; OutputPath = $target } 60
    }

    It 'two processes compressing to the same new path: one complete file, the loser gets OutputFileExists' {
        $target = Join-Path $dir 'race.pb'
        $script = "Import-Module '$env:DEEPMDCOMPRESS_MODULE'; `$null = Compress-FrozenModel '$src' '$target' -ErrorAction SilentlyContinue -ErrorVariable e; if (`$e) { `$e[0].FullyQualifiedErrorId } else { 'written' }"
        Assert-OneWinner (Invoke-Racers $dir $script 300)
        (Import-FrozenModel $target).IsCompressed | Should -BeTrue
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }
}
