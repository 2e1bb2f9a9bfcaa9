BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $tiny = Import-FrozenModel -Path ([IO.Path]::Combine($LocalData, 'tiny_se_a.pbtxt'))
    if ($HasShared) {
        $case = Get-Content -Raw ([IO.Path]::Combine($SharedData, 'expected', 'deeppot_a_pbc.json')) | ConvertFrom-Json
        $coord = [double[]] $case.coord
        $types = [int[]] $case.atype
        $box = [double[]] $case.box
        $deeppot = Import-FrozenModel (Get-SharedModel 'deeppot.pbtxt')
    }

    function Get-MaxDiff([double[]] $a, [double[]] $b) {
        $a.Count | Should -Be $b.Count
        $m = 0.0
        for ($i = 0; $i -lt $a.Count; $i++) { $m = [Math]::Max($m, [Math]::Abs($a[$i] - $b[$i])) }
        $m
    }
}

Describe 'Invoke-FrozenModel' {
    Context 'against deepmd-kit reference numbers' -Skip:(-not $HasShared) {
        It 'reproduces deeppot_a_pbc.json within 1e-10' {
            $r = Invoke-FrozenModel $deeppot -Coordinate $coord -AtomType $types -Box $box
            $r | Should -BeOfType ([DeepMdCompress.ModelOutput])
            [Math]::Abs($r.Energy - $case.expected_tot_e) | Should -BeLessThan 1e-10
            Get-MaxDiff $r.Force $case.expected_f | Should -BeLessThan 1e-10
            Get-MaxDiff $r.AtomEnergy $case.expected_e | Should -BeLessThan 1e-10
            Get-MaxDiff $r.AtomVirial $case.expected_v | Should -BeLessThan 1e-10
            Get-MaxDiff $r.Virial $case.expected_tot_v | Should -BeLessThan 1e-10
        }

        It 'takes the model from the pipeline' {
            $r = $deeppot | Invoke-FrozenModel -Coordinate $coord -AtomType $types -Box $box
            [Math]::Abs($r.Energy - $case.expected_tot_e) | Should -BeLessThan 1e-10
        }

        It 'returns one object per frame' {
            $two = @(Invoke-FrozenModel $deeppot -Coordinate ($coord + $coord) -AtomType $types -Box $box)
            $two.Count | Should -Be 2
            $two.Frame | Should -Be @(0, 1)
            $two[1].Energy | Should -Be $two[0].Energy
            Get-MaxDiff $two[1].Force $case.expected_f | Should -BeLessThan 1e-10
        }

        It 'returns raw graph tensors with -Output' {
            $nodes = @(Invoke-FrozenModel $deeppot -Coordinate $coord -AtomType $types -Box $box -Output o_descriptor, o_nlist)
            $nodes.Count | Should -Be 2
            $nodes[0] | Should -BeOfType ([DeepMdCompress.NodeValue])
            $nodes[0].Shape | Should -Be @(1, 192)
            $nodes[0].DataType | Should -Be 'DT_DOUBLE'
            $nodes[1].DataType | Should -Be 'DT_INT32'
            $nodes[0].AtomOrder | Should -Be @(0, 3, 1, 2, 4, 5)
        }

        It 'formats a frame as index, atoms, energy and max force' {
            $text = Invoke-FrozenModel $deeppot -Coordinate $coord -AtomType $types -Box $box | Out-String
            $text | Should -Match 'Frame\s+Atoms\s+Energy\s+MaxForce'
            $text | Should -Match '-930\.969183\d+'
        }

        It 'evaluates dipole models' {
            $model = Import-FrozenModel (Get-SharedModel 'deepdipole.pbtxt')
            $dipole = Invoke-FrozenModel $model -Coordinate $coord -AtomType $types -Box $box -AtomTensorLayout SelectedAtoms
            $dipole.ModelType | Should -Be 'dipole'
            $dipole.AtomTensor.Count | Should -Be 6
            $dipole.TensorAtoms | Should -Be @(0, 3)
            $dipole.Tensor.Count | Should -Be 3

            # deepmd-kit 3.x's layout (the default): every atom, zeros for the atoms of types not in sel_type.
            $all = Invoke-FrozenModel $model -Coordinate $coord -AtomType $types -Box $box
            $all.AtomTensor.Count | Should -Be 18
            $all.TensorAtoms | Should -Be @(0, 1, 2, 3, 4, 5)
            $all.AtomTensor[0..2] | Should -Be $dipole.AtomTensor[0..2]
            $all.AtomTensor[9..11] | Should -Be $dipole.AtomTensor[3..5]
            @($all.AtomTensor[3..8] | Where-Object { $_ -ne 0 }).Count | Should -Be 0
            $all.Tensor | Should -Be $dipole.Tensor
        }

        It 'reports <Id> for bad input' -TestCases @(
            @{ Id = 'CoordinateCountMismatch'; Override = @{ Coordinate = [double[]] (1..17) } }
            @{ Id = 'UnknownAtomType'; Override = @{ AtomType = [int[]] (0, 1, 1, 0, 1, 2) } }
            @{ Id = 'NonFiniteCoordinate'; Override = @{ Coordinate = [double[]] (@([double]::NaN) + (1..17)) } }
            @{ Id = 'DegenerateBox'; Override = @{ Box = [double[]] (13, 0, 0, 13, 0, 0, 0, 0, 13) } }
            @{ Id = 'FrameParameterMismatch'; Override = @{ FrameParameter = [double[]] (1) } }
        ) {
            param($Id, $Override)
            $p = @{ InputObject = $deeppot; Coordinate = $coord; AtomType = $types; Box = $box }
            foreach ($k in $Override.Keys) { $p[$k] = $Override[$k] }
            $out = Invoke-FrozenModel @p -ErrorAction SilentlyContinue -ErrorVariable err
            $out | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        }

        It 'names the missing node and the unknown op' {
            $graph = $deeppot.GetGraphDef().Clone()
            $tanh = $graph.Node | Where-Object Op -EQ 'Tanh' | Select-Object -First 1
            $tanh.Op = 'TabulateFusionSeQ'
            $file = [IO.Path]::Combine([IO.Path]::GetTempPath(), "deepmd-unknown-op-$PID.pbtxt")
            [DeepMdCompress.Core.Graph.GraphFile]::Write($graph, $file, [DeepMdCompress.Core.Graph.GraphFormat]::Text, $true)
            try {
                Invoke-FrozenModel (Import-FrozenModel $file) -Coordinate $coord -AtomType $types -Box $box -ErrorAction SilentlyContinue -ErrorVariable err
                $err[0].FullyQualifiedErrorId | Should -BeLike 'UnsupportedOp,*'
                $err[0].Exception.Message | Should -Match ([regex]::Escape($tanh.Name))
                $err[0].CategoryInfo.Category | Should -Be 'NotImplemented'
            }
            finally { Remove-Item -LiteralPath $file -ErrorAction SilentlyContinue }
        }
    }

    Context 'with the local tiny model' {
        It 'returns environment-matrix outputs with -Output' {
            $nlist = Invoke-FrozenModel $tiny -Coordinate 0, 0, 0, 1, 0, 0 -AtomType 0, 1 -Output ProdEnvMatA:3
            $nlist.DataType | Should -Be 'DT_INT32'
            $nlist.Values | Should -Be @(-1, 1, 0, -1)
        }

        It 'reports a graph without o_energy as MissingNode' {
            Invoke-FrozenModel $tiny -Coordinate 0, 0, 0, 1, 0, 0 -AtomType 0, 1 -ErrorAction SilentlyContinue -ErrorVariable err
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'MissingNode,*'
            $err[0].Exception.Message | Should -Match 'o_energy'
        }

        It 'rejects an unknown output name' {
            Invoke-FrozenModel $tiny -Coordinate 0, 0, 0 -AtomType 0 -Output nothing_here -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeLike 'MissingNode,*'
        }
    }

    Context 'help' {
        It 'documents every parameter with examples' {
            $help = Get-Help Invoke-FrozenModel -Full
            $help.Synopsis | Should -Match 'without TensorFlow'
            @($help.Examples.Example).Count | Should -BeGreaterOrEqual 3
            foreach ($name in 'InputObject', 'Coordinate', 'AtomType', 'Box', 'FrameParameter', 'AtomParameter', 'Output') {
                ($help.Parameters.Parameter | Where-Object Name -EQ $name).Description | Should -Not -BeNullOrEmpty
            }
        }

        It 'is exported' {
            (Get-Command Invoke-FrozenModel).Module.Name | Should -Be 'DeepMdCompress'
            (Get-Command Invoke-FrozenModel).OutputType.Name | Should -Contain 'DeepMdCompress.ModelOutput'
        }
    }

    It 'reports where a compressed model''s table inputs fell (-TableUsage)' {
        $dir = Join-Path $TestDrive 'usage'
        New-Item -ItemType Directory $dir -Force | Out-Null
        $orig = Join-Path $dir 'm.pb'
        New-SampleModel -Descriptor se_e2_a -TypeMap O, H -Sel 8, 16 -Rcut 4 -RcutSmth 0.5 -Neuron 4, 8 -AxisNeuron 4 -FittingNeuron 8 -Seed 3 -MinNborDist 0.9 -Path $orig
        $comp = Join-Path $dir 'c.pb'
        $null = Compress-FrozenModel $orig $comp
        # Every pair at least 0.94 Å apart (the second water's O–H at 0.97 Å).
        $c = 0.0, 0.0, 0.0, 0.95, 0.1, 0.0, -0.2, 0.92, 0.1, 3.1, 0.2, 0.3, 4.0, 0.5, 0.1, 2.8, 1.1, 0.6
        $t = 0, 1, 1, 0, 1, 1
        $b = 8.0, 0, 0, 0, 8.0, 0, 0, 0, 8.0
        $usage = Import-FrozenModel $comp | Invoke-FrozenModel -Coordinate $c -AtomType $t -Box $b -TableUsage
        $usage.Count | Should -Be 4
        $usage | ForEach-Object { $_.Inputs | Should -BeGreaterThan 0 }
        ($usage | Where-Object OutsideData) | Should -BeNullOrEmpty -Because 'every distance is above min_nbor_dist'
        # Two atoms at 0.5 Å, closer than min_nbor_dist 0.9: their inputs leave the fine range.
        $close = @($c); $close[3] = 0.5; $close[4] = 0.0; $close[5] = 0.0
        $near = Import-FrozenModel $comp | Invoke-FrozenModel -Coordinate $close -AtomType $t -Box $b -TableUsage
        ($near | Where-Object OutsideData) | Should -Not -BeNullOrEmpty
        # Compare-FrozenModel reports the same for the compressed one of its two models.
        $cmp = Compare-FrozenModel $orig $comp -Coordinate $close -AtomType $t -Box $b
        ($cmp.TableUsage | ForEach-Object { $_.Coarse + $_.BeyondMax } | Measure-Object -Sum).Sum | Should -BeGreaterThan 0
        ($cmp | Out-String) | Should -Match 'inputs of 4 table\(s\) beyond the fine range'
        (Import-FrozenModel $orig | Invoke-FrozenModel -Coordinate $c -AtomType $t -Box $b -TableUsage) | Should -BeNullOrEmpty
    }
}
