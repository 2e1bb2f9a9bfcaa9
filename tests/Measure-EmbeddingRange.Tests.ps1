BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $tiny = [IO.Path]::Combine($LocalData, 'tiny_se_a.pbtxt')

    # A version 1.0 .npy file of little-endian doubles, as numpy.save writes it.
    function New-Npy([string] $Path, [long[]] $Shape, [double[]] $Values) {
        $dims = if ($Shape.Count -eq 1) { "($($Shape[0]),)" } else { '(' + ($Shape -join ', ') + ')' }
        $dict = "{'descr': '<f8', 'fortran_order': False, 'shape': $dims, }"
        $pad = (64 - (10 + $dict.Length + 1) % 64) % 64
        $header = [Text.Encoding]::ASCII.GetBytes($dict + (' ' * $pad) + "`n")
        $bytes = [Collections.Generic.List[byte]]::new()
        $bytes.AddRange([byte[]](0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0))
        $bytes.AddRange([BitConverter]::GetBytes([uint16] $header.Length))
        $bytes.AddRange($header)
        foreach ($v in $Values) { $bytes.AddRange([BitConverter]::GetBytes([double] $v)) }
        New-Item -ItemType Directory -Force -Path (Split-Path $Path) | Out-Null
        [IO.File]::WriteAllBytes($Path, $bytes.ToArray())
    }

    # A one-frame deepmd-kit system.
    function New-System([string] $Path, [int[]] $Types, [double[]] $Coord, [double[]] $Box) {
        New-Item -ItemType Directory -Force -Path $Path | Out-Null
        Set-Content -LiteralPath ([IO.Path]::Combine($Path, 'type.raw')) -Value ($Types -join "`n")
        New-Npy ([IO.Path]::Combine($Path, 'set.000', 'coord.npy')) @(1, $Coord.Count) $Coord
        if ($Box) { New-Npy ([IO.Path]::Combine($Path, 'set.000', 'box.npy')) @(1, 9) $Box }
        else { New-Item -ItemType File -Path ([IO.Path]::Combine($Path, 'nopbc')) | Out-Null }
        $Path
    }

    $cubic10 = [double[]](10, 0, 0, 0, 10, 0, 0, 0, 10)
}

Describe 'Measure-EmbeddingRange' {
    Context 'min_nbor_dist sources' {
        It 'takes -MinNborDist from the pipeline and gives deepmd-kit''s ranges' {
            $r = Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -MinNborDist 0.8
            $r | Should -BeOfType ([DeepMdCompress.EmbeddingRange])
            $r.MinNborDistSource | Should -Be 'Parameter'
            $r.MinNborDist | Should -Be 0.8
            $r.Nets.Name | Should -Be @('filter_0_net_0', 'filter_0_net_1', 'filter_1_net_0', 'filter_1_net_1')
            # tiny_se_a: davg[.,0] = 0.1 / 0, dstd 0.5, rcut_smth 1.5 > 0.8 so sw = 1:
            # type 0: floor(-0.2) = -1, ceil((1.25 - 0.1) / 0.5 = 2.3) = 3; type 1: floor(0) = 0, ceil(2.5) = 3.
            $r.Nets[0].Lower | Should -Be -1
            $r.Nets[0].Upper | Should -Be 3
            $r.Nets[3].Lower | Should -Be 0
            $r.Nets[3].Upper | Should -Be 3
            $r.Nets[0].Net.Scope | Should -Be 'filter_type_0'
        }

        It 'computes min_nbor_dist from -TrainingData folders' {
            $sys = New-System ([IO.Path]::Combine($TestDrive, 'data', 'pair')) @(0, 1) @(0.5, 5, 5, 9.7, 5, 5) $cubic10
            $r = Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -TrainingData ([IO.Path]::Combine($TestDrive, 'data'))
            $r.MinNborDistSource | Should -Be 'TrainingData'
            $r.MinNborDistOrigin | Should -Be $sys
            [Math]::Round($r.MinNborDist, 12) | Should -Be 0.8
            $r.Statistics.Frames | Should -Be 1
            $r.Nets[0].Upper | Should -Be 3
        }

        It 'accepts wildcards in -TrainingData' {
            New-System ([IO.Path]::Combine($TestDrive, 'wild', 'a')) @(0, 0) @(0, 0, 0, 2, 0, 0) $null | Out-Null
            New-System ([IO.Path]::Combine($TestDrive, 'wild', 'b')) @(0, 0) @(0, 0, 0, 1.5, 0, 0) $null | Out-Null
            $r = Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -TrainingData ([IO.Path]::Combine($TestDrive, 'wild', '*'))
            $r.MinNborDist | Should -Be 1.5
            $r.Statistics.Systems.Count | Should -Be 2
        }

        It 'computes min_nbor_dist from a -TrainingScript relative to the script' {
            New-System ([IO.Path]::Combine($TestDrive, 'job', 'sys')) @(0, 1) @(0, 0, 0, 0, 0, 1.25) $null | Out-Null
            $script = [IO.Path]::Combine($TestDrive, 'job', 'input.json')
            Set-Content -LiteralPath $script -Value '{"model": {"type_map": ["A", "B"]}, "training": {"training_data": {"systems": ["sys"]}}}'
            $r = Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -TrainingScript $script
            $r.MinNborDistSource | Should -Be 'TrainingScript'
            $r.MinNborDistOrigin | Should -Be $script
            $r.MinNborDist | Should -Be 1.25
        }

        It 'uses the graph''s train_attr/min_nbor_dist and warns about an ignored script' -Skip:(-not $HasShared) {
            $m = Import-FrozenModel -Path (Get-SharedModel 'fparam_aparam.pbtxt')
            $r = $m | Measure-EmbeddingRange -TrainingScript ([IO.Path]::Combine($SharedData, 'systems', 'model_compression', 'input.json')) -WarningVariable warn -WarningAction SilentlyContinue
            $r.MinNborDistSource | Should -Be 'Graph'
            $r.MinNborDist | Should -Be $m.MinNborDist
            $warn.Count | Should -Be 1
            "$($warn[0])" | Should -Match 'TrainingScript was ignored'
        }

        It '-MinNborDist beats the other sources' {
            $sys = New-System ([IO.Path]::Combine($TestDrive, 'p', 'sys')) @(0, 0) @(0, 0, 0, 1, 0, 0) $null
            $r = Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -MinNborDist 2 -TrainingData $sys -WarningVariable warn -WarningAction SilentlyContinue
            $r.MinNborDistSource | Should -Be 'Parameter'
            $r.MinNborDist | Should -Be 2
            "$warn" | Should -Match 'TrainingData was ignored'
        }

        It 'scans once for several models' -Skip:(-not $HasShared) {
            $rs = @(Import-FrozenModel -Path (Get-SharedModel 'deeppot.pbtxt'), (Get-SharedModel 'dp-original.pbtxt') |
                    Measure-EmbeddingRange -TrainingScript ([IO.Path]::Combine($SharedData, 'systems', 'model_compression', 'input.json')))
            $rs.Count | Should -Be 2
            [object]::ReferenceEquals($rs[0].Statistics, $rs[1].Statistics) | Should -BeTrue
        }
    }

    Context 'shared reference models' -Skip:(-not $HasShared) {
        It 'measures dp-original with its training script (acceptance)' {
            $r = Import-FrozenModel (Get-SharedModel 'dp-original.pbtxt') |
                Measure-EmbeddingRange -TrainingScript ([IO.Path]::Combine($SharedData, 'systems', 'model_compression', 'input.json'))
            $r.MinNborDist | Should -Be 0.892451513761333
            $r.Statistics.Frames | Should -Be 80
            $text = $r | Out-String -Width 200
            $text | Should -Match 'MinNborDistSource\s*:\s*TrainingScript'
            $text | Should -Match 'filter_0_net_0\s+\[-1, 8\]'
            $text | Should -Match 'filter_1_net_1\s+\[-1, 9\]'
            $table = $r.Nets | Out-String -Width 200
            $table | Should -Match 'Name\s+Lower\s+Upper'
        }

        It 'gives deeppot''s filter_0_net_0 [-1, 7] at 1 Å (deepmd-kit''s range rule)' {
            $r = Import-FrozenModel (Get-SharedModel 'deeppot.pbtxt') | Measure-EmbeddingRange -MinNborDist 1.0
            $r.Nets[0].Lower | Should -Be -1
            $r.Nets[0].Upper | Should -Be 7
        }

        It 'refuses se_atten in concat mode as dp compress does' {
            Import-FrozenModel (Get-SharedModel 'se_atten_no_atten_1.pbtxt') | Measure-EmbeddingRange -MinNborDist 1 -ErrorAction SilentlyContinue -ErrorVariable err
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'TypeNetMissing,*'
            $err[0].CategoryInfo.Category | Should -Be 'NotImplemented'
        }
    }

    Context 'bad input' {
        It 'refuses min_nbor_dist <Value>' -TestCases @(
            @{ Value = 0.0 }, @{ Value = -1.0 }, @{ Value = [double]::NaN }, @{ Value = [double]::PositiveInfinity }
        ) {
            param($Value)
            # A parameter mistake stops the command before the pipeline runs.
            $e = $null
            try { $out = Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -MinNborDist $Value } catch { $e = $_ }
            $out | Should -BeNullOrEmpty
            $e.FullyQualifiedErrorId | Should -BeLike 'InvalidMinNborDist,*'
            $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }

        It 'refuses a training script that does not exist before reading any model' {
            $e = $null
            try { Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -TrainingScript ./nope/input.json } catch { $e = $_ }
            $e.FullyQualifiedErrorId | Should -BeLike 'TrainingScriptNotFound,*'
            "$e" | Should -Match 'input\.json'
        }

        It 'needs a source of min_nbor_dist' {
            Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeLike 'MinNborDistUnavailable,*'
        }

        It 'reports a malformed .npy' {
            $sys = New-System ([IO.Path]::Combine($TestDrive, 'badnpy')) @(0, 0) @(0, 0, 0, 1, 0, 0) $cubic10
            [IO.File]::WriteAllText([IO.Path]::Combine($sys, 'set.000', 'coord.npy'), 'this is not numpy')
            Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -TrainingData $sys -ErrorAction SilentlyContinue -ErrorVariable err
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NpyBadMagic,*'
            $err[0].TargetObject | Should -Be ([IO.Path]::Combine($sys, 'set.000', 'coord.npy'))
        }

        It 'reports a truncated .npy' {
            $sys = New-System ([IO.Path]::Combine($TestDrive, 'short')) @(0, 0) @(0, 0, 0, 1, 0, 0) $cubic10
            $file = [IO.Path]::Combine($sys, 'set.000', 'coord.npy')
            $bytes = [IO.File]::ReadAllBytes($file)
            [IO.File]::WriteAllBytes($file, $bytes[0..($bytes.Length - 5)])
            Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -TrainingData $sys -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NpyTruncated,*'
        }

        It 'reports a missing type.raw' {
            $sys = New-System ([IO.Path]::Combine($TestDrive, 'notype', 'sys')) @(0, 0) @(0, 0, 0, 1, 0, 0) $cubic10
            $script = [IO.Path]::Combine($TestDrive, 'notype', 'input.json')
            Set-Content -LiteralPath $script -Value '{"training": {"training_data": {"systems": ["sys"]}}}'
            Remove-Item -LiteralPath ([IO.Path]::Combine($sys, 'type.raw'))
            Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -TrainingScript $script -ErrorAction SilentlyContinue -ErrorVariable err
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'MissingTypeRaw,*'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'reports overlapping atoms with the set folder' {
            $sys = New-System ([IO.Path]::Combine($TestDrive, 'overlap')) @(0, 1, 1) @(1, 2, 3, 4, 4, 4, 1, 2, 3) $cubic10
            Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -TrainingData $sys -ErrorAction SilentlyContinue -ErrorVariable err
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'OverlappingAtoms,*'
            $err[0].Exception.Message | Should -Match 'Some atoms are overlapping in'
            $err[0].Exception.Message | Should -Match ([regex]::Escape([IO.Path]::Combine($sys, 'set.000')))
        }

        It 'reports a bad training script' {
            $script = [IO.Path]::Combine($TestDrive, 'broken.json')
            Set-Content -LiteralPath $script -Value '{"training": '
            Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -TrainingScript $script -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeLike 'TrainingScriptInvalid,*'
        }

        It 'stops on a -TrainingData folder that does not exist' {
            { Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -TrainingData ([IO.Path]::Combine($TestDrive, 'nothing-here')) } |
                Should -Throw -ErrorId 'SystemNotFound,DeepMdCompress.Commands.MeasureEmbeddingRangeCommand'
        }

        It 'rejects a non-FileSystem -TrainingScript' {
            { Import-FrozenModel -Path $tiny | Measure-EmbeddingRange -TrainingScript 'env:PATH' } |
                Should -Throw -ErrorId 'PathNotFileSystem,DeepMdCompress.Commands.MeasureEmbeddingRangeCommand'
        }
    }

    Context 'help' {
        It 'has help with examples and every parameter' {
            $help = Get-Help Measure-EmbeddingRange -Full
            $help.Synopsis | Should -Match 'embedding net'
            @($help.Examples.Example).Count | Should -BeGreaterOrEqual 3
            $names = @($help.Parameters.Parameter.Name)
            foreach ($p in 'InputObject', 'MinNborDist', 'TrainingScript', 'TrainingData') { $names | Should -Contain $p }
        }

        It 'is exported with its output type' {
            $cmd = Get-Command Measure-EmbeddingRange
            $cmd.OutputType.Name | Should -Contain 'DeepMdCompress.EmbeddingRange'
            (Get-Module DeepMdCompress).ExportedCmdlets.Keys | Should -Contain 'Measure-EmbeddingRange'
        }
    }
}
