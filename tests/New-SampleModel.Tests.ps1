BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    # A small configuration keeps every test fast.
    $small = @{ TypeMap = 'O', 'H'; Sel = 3, 4; Neuron = 4, 8, 16; AxisNeuron = 4; FittingNeuron = 8, 8; MinNborDist = 0.9 }
}

Describe 'New-SampleModel' {
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    It 'returns an in-memory model that describes the requested configuration' {
        $m = New-SampleModel se_e2_a @small -Activation gelu -Precision float32 -TypeOneSide -ExcludeTypes O-H
        $m | Should -BeOfType ([DeepMdCompress.FrozenModel])
        $m.Path | Should -BeNullOrEmpty
        $m.DescriptorType | Should -Be 'se_e2_a'
        $m.TypeMap | Should -Be @('O', 'H')
        $m.Sel | Should -Be @(3, 4)
        $m.Rcut | Should -Be 6.0
        $m.RcutSmth | Should -Be 0.5
        $m.EmbeddingNeuron | Should -Be @(4, 8, 16)
        $m.FittingNeuron | Should -Be @(8, 8)
        $m.Activation | Should -Be 'gelu'
        $m.Precision | Should -Be 'float32'
        $m.TypeOneSide | Should -BeTrue
        $m.ExcludeTypes.Count | Should -Be 1
        $m.ExcludeTypes[0] | Should -Be @(0, 1)
        $m.MinNborDist | Should -Be 0.9
        $m.ModelVersion | Should -Be '1.1'
        $m.RootModelType | Should -Be 'original_model'
        $m.IsCompressed | Should -BeFalse
        ($m.TrainingScript | ConvertFrom-Json).model.descriptor.activation_function | Should -Be 'gelu'
    }

    It 'generates <Descriptor> with the layout of deepmd-kit' -ForEach @(
        @{ Descriptor = 'se_e2_a'; Op = 'ProdEnvMatA'; Net = 'filter_type_1/matrix_3_0' }
        @{ Descriptor = 'se_e2_r'; Op = 'ProdEnvMatR'; Net = 'filter_type_0/matrix_1_1' }
        @{ Descriptor = 'se_e3'; Op = 'ProdEnvMatA'; Net = 'filter_type_all/matrix_2_0_1' }
    ) {
        $m = New-SampleModel $Descriptor @small
        $m.DescriptorType | Should -Be $Descriptor
        $m.DescriptorOp | Should -Be $Op
        $names = $m.GetGraphDef().Node.Name
        $names | Should -Contain $Net
        foreach ($n in 'o_energy', 'o_force', 'o_virial', 'o_atom_energy', 'o_atom_virial', 'descrpt_attr/rcut', 'descrpt_attr/ntypes',
            'model_attr/tmap', 'model_attr/model_type', 'model_attr/model_version', 'fitting_attr/dfparam', 'fitting_attr/daparam',
            'train_attr/training_script', 'train_attr/min_nbor_dist', 'model_type', 't_coord', 't_type', 't_natoms', 't_box', 't_mesh') {
            $names | Should -Contain $n
        }
        @($names | Where-Object { $_ -like 'gradients/*' }).Count | Should -BeGreaterThan 50
    }

    It 'is deterministic for a seed and differs for another' {
        $a = New-SampleModel @small -Seed 5
        $b = New-SampleModel @small -Seed 5
        $c = New-SampleModel @small -Seed 6
        $a.GetGraphDef().Equals($b.GetGraphDef()) | Should -BeTrue
        $a.GetGraphDef().Equals($c.GetGraphDef()) | Should -BeFalse
        $a.NodeCount | Should -Be $c.NodeCount
    }

    It 'writes binary by extension and the file imports to the same graph' {
        $target = Join-Path $dir 'model.pb'
        $result = New-SampleModel @small -Path $target
        $result | Should -BeNullOrEmpty
        $back = Import-FrozenModel $target
        $back.Format | Should -Be 'Binary'
        $back.GetGraphDef().Equals((New-SampleModel @small).GetGraphDef()) | Should -BeTrue
    }

    It 'writes text with -Format Text and returns the file with -PassThru' {
        $file = New-SampleModel se_e3 @small -LiteralPath (Join-Path $dir 'm.bin') -Format Text -PassThru
        $file | Should -BeOfType ([IO.FileInfo])
        (Get-Content -LiteralPath $file.FullName -TotalCount 1) | Should -Match '^node \{'
        ($file | Import-FrozenModel).DescriptorType | Should -Be 'se_e3'
    }

    It 'writes nothing with -WhatIf' {
        $target = Join-Path $dir 'w.pb'
        New-SampleModel @small -Path $target -WhatIf
        Test-Path $target | Should -BeFalse
        @(Get-ChildItem $dir -Force).Count | Should -Be 0
    }

    It 'refuses to overwrite without -Force and keeps the old file' {
        $target = Join-Path $dir 'exists.pb'
        Set-Content -LiteralPath $target -Value 'previous'
        New-SampleModel @small -Path $target -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputFileExists,*'
        Get-Content -LiteralPath $target | Should -Be 'previous'
        New-SampleModel @small -Path $target -Force
        (Import-FrozenModel $target).DescriptorType | Should -Be 'se_e2_a'
        @(Get-ChildItem $dir -Force).Count | Should -Be 1
    }

    It 'reports a missing output folder and leaves no file' {
        New-SampleModel @small -Path (Join-Path $dir 'no/such/x.pb') -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputDirectoryNotFound,*'
        @(Get-ChildItem $dir -Recurse -Force).Count | Should -Be 0
    }

    It 'generates a hybrid from -Member hashtables, and the type-embedding descriptors' {
        $h = New-SampleModel -Descriptor hybrid -TypeMap O, H -FittingNeuron 8 -Seed 2 -MinNborDist 0.9 -Member @(
            @{ Descriptor = 'se_e2_a'; Sel = 8, 16; Rcut = 4; Neuron = 4, 8; AxisNeuron = 4 }
            @{ Descriptor = 'se_e2_r'; Sel = 6, 12; Rcut = 3; Neuron = 3, 6 })
        $h.DescriptorType | Should -Be 'hybrid'
        $h.Descriptors.Type | Should -Be @('se_e2_a', 'se_e2_r')
        $h | Test-ModelVersion -Quiet | Should -BeTrue
        foreach ($d in 'se_atten', 'se_atten_v2', 'se_a_ebd_v2') {
            $sel = if ($d -eq 'se_a_ebd_v2') { 8, 16 } else { 24 }
            $m = New-SampleModel -Descriptor $d -TypeMap O, H -Sel $sel -Rcut 4 -Neuron 4, 8 -AxisNeuron 4 -FittingNeuron 8 -TypeEmbeddingDim 4 -MinNborDist 0.9
            $m.DescriptorType | Should -Be $d
            $m | Test-ModelVersion -Quiet | Should -BeTrue
        }
    }

    It 'stops with <Id> for a bad parameter' -ForEach @(
        @{ Id = 'UnknownDescriptor'; Extra = @{ Descriptor = 'se_a_mask' } }
        @{ Id = 'InvalidHybrid'; Extra = @{ Descriptor = 'hybrid'; Member = @(@{ Descriptor = 'se_e2_a'; Sel = 4, 4; Nope = 1 }, @{ Descriptor = 'se_e2_r'; Sel = 4, 4 }) } }
        @{ Id = 'SelCountMismatch'; Extra = @{ Sel = @(46) } }
        @{ Id = 'InvalidCutoff'; Extra = @{ Rcut = 0.4 } }
        @{ Id = 'NeuronEmpty'; Extra = @{ Neuron = [int[]]@() } }
        @{ Id = 'UnknownActivation'; Extra = @{ Activation = 'silu' } }
        @{ Id = 'UnknownPrecision'; Extra = @{ Precision = 'float16' } }
        @{ Id = 'ExcludeTypeOutOfRange'; Extra = @{ ExcludeTypes = '0-5' } }
        @{ Id = 'InvalidExcludePair'; Extra = @{ ExcludeTypes = 'O-Xe' } }
        @{ Id = 'TypeOneSideNotSupported'; Extra = @{ Descriptor = 'se_e3'; TypeOneSide = $true } }
        @{ Id = 'InvalidMinNborDist'; Extra = @{ MinNborDist = 7 } }
    ) {
        $params = $small.Clone()
        foreach ($k in $Extra.Keys) { $params[$k] = $Extra[$k] }
        { New-SampleModel @params } | Should -Throw -ErrorId "$Id,*"
    }

    It 'completes descriptor, activation and precision names' {
        $r = TabExpansion2 -inputScript 'New-SampleModel -Activation gel' -cursorColumn 31
        $r.CompletionMatches.CompletionText | Should -Be @('gelu', 'gelu_tf')
        $r = TabExpansion2 -inputScript 'New-SampleModel -Descriptor se_e' -cursorColumn 32
        $r.CompletionMatches.CompletionText | Should -Be @('se_e2_a', 'se_e2_r', 'se_e3')
    }

    It 'generates the water-size sample in a few seconds' {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $m = New-SampleModel -Descriptor se_e2_a -TypeMap O, H -Sel 46, 92 -Rcut 6 -RcutSmth 0.5 -Neuron 25, 50, 100 -AxisNeuron 16 -FittingNeuron 240, 240, 240 -Seed 1 -MinNborDist 0.9
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 30
        $m.EmbeddingNets.Count | Should -Be 4
        $m.EmbeddingNeuron | Should -Be @(25, 50, 100)
    }

    It 'shows synopsis, every parameter and examples in Get-Help' {
        $help = Get-Help New-SampleModel -Full
        $help.Synopsis | Should -Match 'seeded random weights'
        foreach ($p in 'Descriptor', 'TypeMap', 'Sel', 'Rcut', 'RcutSmth', 'Neuron', 'AxisNeuron', 'FittingNeuron', 'TypeOneSide', 'ExcludeTypes',
            'Activation', 'Precision', 'Seed', 'MinNborDist', 'Path', 'LiteralPath', 'Format', 'Force', 'PassThru', 'WhatIf', 'Confirm') {
            $help.parameters.parameter.name | Should -Contain $p
        }
        @($help.examples.example).Count | Should -BeGreaterOrEqual 3
    }
}
