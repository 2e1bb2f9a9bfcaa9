BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    # Every example of every cmdlet's help, in order, as the user would type it.
    $script:examples = foreach ($file in Get-ChildItem ([IO.Path]::Combine($PSScriptRoot, '..', 'en-US')) -Filter '*.md' | Where-Object Name -NotLike 'about_*') {
        $text = Get-Content -Raw -LiteralPath $file.FullName
        $section = $text.Substring($text.IndexOf('## EXAMPLES'), $text.IndexOf('## PARAMETERS') - $text.IndexOf('## EXAMPLES'))
        $i = 0
        foreach ($m in [regex]::Matches($section, '(?ms)^### (?<title>[^\r\n]+)\r?\n```powershell\r?\n(?<code>.*?)```')) {
            $i++
            @{
                Cmdlet = $file.BaseName; Index = $i; Title = $m.Groups['title'].Value; Code = $m.Groups['code'].Value
                # deepmd-kit's own test models and data are read from ../shared when they are there.
                NeedsShared = $m.Groups['code'].Value -match 'deeppot|dp-original|fparam_aparam|sea_012|model_compression'
            }
        }
    }
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    . ([IO.Path]::Combine($PSScriptRoot, 'LegacyTestModels.ps1'))


    # Two water molecules in a 13 Å box, and two displaced copies.
    $script:coord = 12.83, 2.56, 2.18, 12.09, 2.87, 2.74, 0.25, 3.32, 1.68, 3.36, 3.0, 1.81, 3.51, 2.51, 2.6, 4.27, 3.22, 1.56
    $script:types = 0, 1, 1, 0, 1, 1
    $script:box = 13.0, 0, 0, 0, 13.0, 0, 0, 0, 13.0

    function New-System([string] $dir) {
        New-Item -ItemType Directory (Join-Path $dir 'set.000') -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $dir 'type.raw') -Value ($types -join "`n")
        Set-Content -LiteralPath (Join-Path $dir 'type_map.raw') -Value "O`nH"
        $frames = @(0.0, 0.02, -0.03) | ForEach-Object { $d = $_; $coord | ForEach-Object { $_ + $d } }
        Write-Npy (Join-Path $dir 'set.000/coord.npy') $frames @(3, 18)
        Write-Npy (Join-Path $dir 'set.000/box.npy') ($box + $box + $box) @(3, 9)
    }

    # The sandbox the examples run in: the files and folders they name.
    $script:sandbox = Join-Path $TestDrive 'sandbox'
    New-Item -ItemType Directory $sandbox | Out-Null
    $graph = Join-Path $sandbox 'graph.pb'
    New-SampleModel -Descriptor se_e2_a -TypeMap O, H -Sel 8, 16 -Rcut 4 -RcutSmth 0.5 -Neuron 4, 8 -AxisNeuron 4 -FittingNeuron 8 -Seed 3 -MinNborDist 0.9 -Path $graph
    $null = Compress-FrozenModel $graph (Join-Path $sandbox 'graph-compress.pb')
    New-System (Join-Path $sandbox 'data')
    New-System (Join-Path $sandbox 'data/water')
    New-System (Join-Path $sandbox 'data/validation')
    New-System (Join-Path $sandbox 'md-frames')
    '{"model": {"type_map": ["O", "H"]}, "training": {"training_data": {"systems": ["./data"]}}}' |
        Set-Content -LiteralPath (Join-Path $sandbox 'input.json')
    foreach ($d in 'models', 'archive') {
        New-Item -ItemType Directory (Join-Path $sandbox $d) | Out-Null
        foreach ($n in 'graph.000', 'graph.001') { Copy-Item $graph (Join-Path $sandbox "$d/$n.pb") }
    }
    Copy-Item (New-TinyVariant '1.2' $TestDrive) (Join-Path $sandbox 'archive/old_1.2.pbtxt')
    Import-FrozenModel (New-TinyVariant '1.3' $TestDrive) -WarningAction SilentlyContinue | Export-FrozenModel (Join-Path $sandbox 'frozen_model.pb')
    Import-FrozenModel (New-TinyVariant '1.2' $TestDrive) -WarningAction SilentlyContinue | Export-FrozenModel (Join-Path $sandbox 'model-1.1.pb')
    Import-FrozenModel (New-TinyVariant '1.3' $TestDrive) -WarningAction SilentlyContinue | Export-FrozenModel (Join-Path $sandbox 'odd.pb')
    if ($HasShared) {
        foreach ($m in 'deeppot.pbtxt', 'dp-original.pbtxt', 'fparam_aparam.pbtxt', 'sea_012.pbtxt') { Copy-Item (Get-SharedModel $m) $sandbox }
        Copy-Item ([IO.Path]::Combine($SharedData, 'systems', 'model_compression')) (Join-Path $sandbox 'model_compression') -Recurse
    }

    # What an example may take from an earlier one of its page, set up here so that each runs on its own.
    $script:prelude = {
        $ErrorActionPreference = 'Stop'
        $coord = 12.83, 2.56, 2.18, 12.09, 2.87, 2.74, 0.25, 3.32, 1.68, 3.36, 3.0, 1.81, 3.51, 2.51, 2.6, 4.27, 3.22, 1.56
        $coord2 = $coord | ForEach-Object { $_ + 0.01 }
        $coord3 = $coord | ForEach-Object { $_ - 0.01 }
        $types = 0, 1, 1, 0, 1, 1
        $box = 13.0, 0, 0, 0, 13.0, 0, 0, 0, 13.0
        $model = Import-FrozenModel $(if (Test-Path ./deeppot.pbtxt) { './deeppot.pbtxt' } else { './graph.pb' })
        $original = Import-FrozenModel ./graph.pb
        $compressed = if (Test-Path ./graph-compress.pb) { Import-FrozenModel ./graph-compress.pb }
        $tables = Import-FrozenModel ./graph.pb | Measure-EmbeddingRange | New-TabulatedModel -MaxError 1e-9
        # A Pester example run outside Pester: its test body is what matters.
        function It([string] $Name, [scriptblock] $Test) { & $Test }
        function Should { process { } }
    }
}

Describe 'Every help example runs' {
    It '<Cmdlet> example <Index> (<Title>)' -ForEach $examples {
        if ($NeedsShared -and -not $HasShared) {
            Set-ItResult -Skipped -Because "$NoSharedMessage; the example reads one of deepmd-kit's test models"
            return
        }

        # A fresh copy of the sandbox per example, so that no example sees another's output.
        $dir = Join-Path $TestDrive ("run-{0}-{1}" -f $Cmdlet, $Index)
        Copy-Item $sandbox $dir -Recurse
        # An example that writes the compressed model starts where the user would: without one.
        if ($Code -match '(Compress-FrozenModel|Export-FrozenModel)[^\r\n]*graph-compress\.pb') {
            Remove-Item -LiteralPath (Join-Path $dir 'graph-compress.pb')
        }
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Set-Location -LiteralPath '$dir'; Import-Module '$env:DEEPMDCOMPRESS_MODULE'; . { $($prelude.ToString()) }; $Code")
            $null = $ps.Invoke()
            $errors = @($ps.Streams.Error | ForEach-Object { "$_" })
            $errors | Should -BeNullOrEmpty -Because "example $Index of $Cmdlet runs as written:`n$Code"
        }
        catch {
            throw "example $Index of $Cmdlet failed: $($_.Exception.InnerException.Message ?? $_.Exception.Message)`n$Code"
        }
        finally {
            $ps.Dispose()
        }
    }
}
