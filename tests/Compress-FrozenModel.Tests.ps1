BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    # A small generated model so the cmdlet is tested on a fresh clone too.
    $sampleDir = Join-Path $TestDrive 'sample'
    New-Item -ItemType Directory $sampleDir | Out-Null
    $sample = Join-Path $sampleDir 'sample.pb'
    New-SampleModel -Descriptor se_e2_a -TypeMap O, H -Sel 8, 16 -Rcut 4 -RcutSmth 0.5 -Neuron 4, 8 -AxisNeuron 4 -FittingNeuron 8 -Seed 3 -MinNborDist 0.9 -Path $sample
    $coord = 0.0, 0.0, 0.0, 0.95, 0.1, 0.0, -0.2, 0.92, 0.1, 3.1, 0.2, 0.3, 3.9, 0.5, 0.1, 2.8, 1.1, 0.6
    $types = 0, 1, 1, 0, 1, 1
    $box = 8.0, 0, 0, 0, 8.0, 0, 0, 0, 8.0
}

Describe 'Compress-FrozenModel' {
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    It 'compresses with the dp compress aliases and returns a summary' {
        $out = Join-Path $dir 'c.pb'
        $s = Compress-FrozenModel -i $sample -o $out -s 0.01 -e 5 -f -1
        $s | Should -BeOfType ([DeepMdCompress.CompressionSummary])
        $s.MinNborDistSource | Should -Be 'Graph'
        $s.MinNborDist | Should -Be 0.9
        $s.Nets.Count | Should -Be 4
        $s.NodesAfter | Should -BeLessThan $s.NodesBefore
        $s.OutputBytes | Should -Be (Get-Item $out).Length
        $m = Import-FrozenModel $out
        $m.IsCompressed | Should -BeTrue
        $m.ModelVersion | Should -Be '1.1'
        @(Get-ChildItem $dir -Force).Count | Should -Be 1 -Because 'nothing but the output file is written'
    }

    It 'takes the input as -LiteralPath, brackets and all, and from a PSPath in the pipeline' {
        $odd = Join-Path $dir 'graph[1].pb'
        Copy-Item -LiteralPath $sample -Destination $odd
        $s = Compress-FrozenModel -LiteralPath $odd -OutputPath (Join-Path $dir 'a.pb')
        $s.Nets.Count | Should -Be 4
        $s = [pscustomobject]@{ PSPath = "Microsoft.PowerShell.Core\FileSystem::$odd" } | Compress-FrozenModel -OutputPath (Join-Path $dir 'b.pb')
        $s.Nets.Count | Should -Be 4
        Test-Path -LiteralPath (Join-Path $dir 'b.pb') | Should -BeTrue
    }

    It 'produces a model the evaluator runs like the original' {
        $out = Join-Path $dir 'c.pb'
        $null = Compress-FrozenModel $sample $out
        $cmp = Compare-FrozenModel (Import-FrozenModel $sample) (Import-FrozenModel $out) -Coordinate $coord -AtomType $types -Box $box -Tolerance 1e-8
        $cmp.Passed | Should -BeTrue
        $cmp.MaxForceError | Should -BeLessThan 1e-8
    }

    It 'takes -MinNborDist over the graph value' {
        $s = Compress-FrozenModel $sample (Join-Path $dir 'c.pb') -MinNborDist 1.2
        $s.MinNborDistSource | Should -Be 'Parameter'
        $s.MinNborDist | Should -Be 1.2
    }

    It 'chooses the step with -MaxError' {
        $s = Compress-FrozenModel $sample (Join-Path $dir 'c.pb') -MaxError 1e-6
        $s.Step | Should -BeIn 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001
        $s.MaxValueError | Should -BeLessOrEqual 1e-6
    }

    It 'writes the compressed file instead of the summary with -PassThru, ready to pipe on' {
        $out = Join-Path $dir 'p.pb'
        $f = Compress-FrozenModel $sample $out -PassThru
        $f | Should -BeOfType ([IO.FileInfo])
        $f.FullName | Should -Be (Get-Item $out).FullName
        (Import-FrozenModel $f.FullName).IsCompressed | Should -BeTrue
        (Compare-FrozenModel $sample $f.FullName -Coordinate $coord -AtomType $types -Box $box).Passed | Should -BeTrue
    }

    It 'writes nothing with -WhatIf' {
        $out = Join-Path $dir 'w.pb'
        Compress-FrozenModel $sample $out -WhatIf
        Test-Path $out | Should -BeFalse
        @(Get-ChildItem $dir -Force).Count | Should -Be 0
    }

    It 'refuses an existing output without -Force and keeps it' {
        $out = Join-Path $dir 'exists.pb'
        Set-Content -LiteralPath $out -Value 'previous'
        Compress-FrozenModel $sample $out -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputFileExists,*'
        Get-Content -LiteralPath $out | Should -Be 'previous'
        $null = Compress-FrozenModel $sample $out -Force
        (Import-FrozenModel $out).IsCompressed | Should -BeTrue
    }

    It 'refuses to compress a compressed model' {
        $out = Join-Path $dir 'c.pb'
        $null = Compress-FrozenModel $sample $out
        Compress-FrozenModel $out (Join-Path $dir 'again.pb') -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AlreadyCompressed,*'
        $err[0].Exception.Message | Should -Match 'compress the original'
        Test-Path (Join-Path $dir 'again.pb') | Should -BeFalse
    }

    It 'gives <Id> for <Case>' -TestCases @(
        @{ Case = 'step 0'; Params = @{ Step = 0 }; Id = 'InvalidStep' }
        @{ Case = 'extrapolate 0.5'; Params = @{ Extrapolate = 0.5 }; Id = 'InvalidExtrapolate' }
        @{ Case = 'min_nbor_dist 0'; Params = @{ MinNborDist = 0 }; Id = 'InvalidMinNborDist' }
        @{ Case = 'min_nbor_dist NaN'; Params = @{ MinNborDist = [double]::NaN }; Id = 'InvalidMinNborDist' }
        @{ Case = 'missing training script'; Params = @{ TrainingScript = 'no-such-input.json'; MinNborDist = $null }; Id = 'TrainingScriptNotFound' }
    ) {
        param($Params, $Id)
        $out = Join-Path $dir 'x.pb'
        $p = @{ InputPath = $sample; OutputPath = $out }
        foreach ($k in $Params.Keys) { if ($null -ne $Params[$k]) { $p[$k] = $Params[$k] } }
        if ($Id -eq 'TrainingScriptNotFound') {
            # the sample carries min_nbor_dist, so strip it to force the script to be read
            $noDist = Join-Path $dir 'nodist.pb'
            $m = Import-FrozenModel $sample
            $g = $m.GetGraphDef().Clone()
            $g.Node.Remove(($g.Node | Where-Object Name -eq 'train_attr/min_nbor_dist')) | Out-Null
            [DeepMdCompress.Core.Graph.GraphFile]::Write($g, $noDist, 'Binary', $false, [Threading.CancellationToken]::None)
            $p.InputPath = $noDist
        }
        # Parameter mistakes stop the command before it reads any input (about_DeepMdCompress_Errors).
        $e = $null
        try { Compress-FrozenModel @p -ErrorAction SilentlyContinue } catch { $e = $_ }
        $e | Should -Not -BeNullOrEmpty -Because 'a parameter mistake is a terminating error'
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        Test-Path $out | Should -BeFalse
    }

    It 'writes one file per input into a folder, named as dp compress names its output' {
        $models = Join-Path $dir 'models'
        New-Item -ItemType Directory $models | Out-Null
        foreach ($n in 'graph.000', 'graph.001') { Copy-Item $sample (Join-Path $models "$n.pb") }
        $outDir = Join-Path $dir 'out'
        # A missing folder is a parameter mistake without -Force ...
        { Get-ChildItem $models -Filter *.pb | Compress-FrozenModel -OutputPath "$outDir/" -ErrorAction Stop } |
            Should -Throw -ErrorId 'OutputDirectoryNotFound,*'
        # ... and created with it.
        $s = Get-ChildItem $models -Filter *.pb | Compress-FrozenModel -OutputPath "$outDir/" -Force
        $s.Count | Should -Be 2
        (Get-ChildItem $outDir).Name | Sort-Object | Should -Be @('graph.000_compressed.pb', 'graph.001_compressed.pb')
        $s.OutputPath | ForEach-Object { (Import-FrozenModel $_).IsCompressed | Should -BeTrue }
    }

    It 'fills a name template per input' {
        $models = Join-Path $dir 'models'
        New-Item -ItemType Directory $models | Out-Null
        foreach ($n in 'a', 'b') { Copy-Item $sample (Join-Path $models "$n.pb") }
        $s = Get-ChildItem $models -Filter *.pb | Compress-FrozenModel -OutputPath (Join-Path $dir '{BaseName}-s{Step}.pbtxt') -Step 0.02
        (Split-Path -Leaf $s.OutputPath) | Should -Be @('a-s0.02.pbtxt', 'b-s0.02.pbtxt')
        (Import-FrozenModel $s[0].OutputPath).Format | Should -Be 'Text'
    }

    It 'writes next to the input as {BaseName}_compressed without -OutputPath' {
        $copy = Join-Path $dir 'frozen_model.pb'
        Copy-Item $sample $copy
        $s = Compress-FrozenModel $copy
        $s.OutputPath | Should -Be (Join-Path $dir 'frozen_model_compressed.pb')
        Test-Path $s.OutputPath | Should -BeTrue
    }

    It 'refuses two inputs that would write one file, before any work' {
        $models = Join-Path $dir 'models'
        New-Item -ItemType Directory $models | Out-Null
        foreach ($n in 'a', 'b') { Copy-Item $sample (Join-Path $models "$n.pb") }
        $out = Join-Path $dir 'batch.pb'
        { Get-ChildItem $models -Filter *.pb | Compress-FrozenModel -OutputPath $out -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'OutputClash,*'
        Test-Path $out | Should -BeFalse -Because 'nothing is compressed when two inputs clash'
    }

    It 'previews with -WhatIf: the summary it computed, marked as a preview' {
        $out = Join-Path $dir 'w.pb'
        $s = Compress-FrozenModel $sample $out -WhatIf
        $s.IsPreview | Should -BeTrue
        $s.Nets.Count | Should -Be 4
        $s.OutputBytes | Should -BeGreaterThan 0
        ($s | Out-String) | Should -Match 'preview'
        Test-Path $out | Should -BeFalse
    }

    It 'lists the nodes compression removed and added' {
        $s = Compress-FrozenModel $sample (Join-Path $dir 'c.pb')
        $s.RemovedNodes | Should -Contain 'filter_type_0/matrix_1_0'
        $s.AddedNodes | Where-Object { $_ -like '*TabulateFusionSeA*' } | Should -Not -BeNullOrEmpty
        $s.NodesBefore - $s.RemovedNodes.Count + $s.AddedNodes.Count | Should -Be $s.NodesAfter
    }

    It 'reports its decisions with -Verbose' {
        $v = Compress-FrozenModel $sample (Join-Path $dir 'c.pb') -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($v.Message -join "`n") | Should -Match 'min_nbor_dist 0.9 Å from Graph'
    }

    It 'refuses a legacy model and names Convert-LegacyModel' -Skip:(-not $HasShared) {
        Compress-FrozenModel (Get-SharedModel 'sea_012.pbtxt') (Join-Path $dir 'x.pb') -MinNborDist 1 -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'LegacyModel,*'
        $err[0].Exception.Message | Should -Match 'Convert-LegacyModel'
    }

    It 'compresses dp-original with the training script of its test (dp compress -t)' -Skip:(-not $HasShared) {
        $script = [IO.Path]::Combine($SharedData, 'systems', 'model_compression', 'input.json')
        $s = Compress-FrozenModel -i (Get-SharedModel 'dp-original.pbtxt') -o (Join-Path $dir 'dp.pb') -t $script
        $s.MinNborDistSource | Should -Be 'TrainingScript'
        $s.MinNborDist | Should -BeGreaterThan 0.89
        $s.MinNborDist | Should -BeLessThan 0.90
        $s.Nets.Name | Should -Be @('filter_0_net_0', 'filter_0_net_1', 'filter_1_net_0', 'filter_1_net_1')
    }

    It 'the input file is never modified' {
        $hash = (Get-FileHash $sample).Hash
        $null = Compress-FrozenModel $sample (Join-Path $dir 'c.pb')
        (Get-FileHash $sample).Hash | Should -Be $hash
    }

    It 'shows synopsis, every parameter and an example in Get-Help' {
        $help = Get-Help Compress-FrozenModel -Full
        $help.Synopsis | Should -Match 'dp compress'
        foreach ($p in 'InputPath', 'OutputPath', 'Step', 'Extrapolate', 'Frequency', 'TrainingScript', 'MinNborDist', 'MaxError', 'Force') {
            $help.parameters.parameter.name | Should -Contain $p
        }
        ($help.parameters.parameter | Where-Object name -eq 'InputPath').aliases | Should -Match '\bi\b'
        @($help.examples.example).Count | Should -BeGreaterOrEqual 1
    }
}

Describe 'Export-FrozenModel with a TabulatedModel' {
    It 'writes the compressed graph from the pipeline stages' {
        $out = Join-Path $TestDrive 'piped.pb'
        Import-FrozenModel $sample | Measure-EmbeddingRange | New-TabulatedModel | Export-FrozenModel -Path $out
        $m = Import-FrozenModel $out
        $m.IsCompressed | Should -BeTrue
        @($m.GetGraphDef().Node | Where-Object Op -eq 'TabulateFusionSeA').Count | Should -Be 4
    }
}
