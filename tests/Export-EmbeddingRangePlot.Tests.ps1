BeforeDiscovery {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
}

BeforeAll {
    . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
    $model = New-SampleModel -Descriptor se_e2_a -TypeMap O, H -Sel 8, 16 -Rcut 4 -RcutSmth 0.5 -Neuron 4, 8 -AxisNeuron 4 -FittingNeuron 8 -Seed 3 -MinNborDist 0.9
    $range = $model | Measure-EmbeddingRange
    # One water molecule in a 5 Å box: O-H 0.97 Å twice, H-H 1.37 Å, and the images 5 Å away (beyond rcut 4).
    $data = Join-Path $TestDrive 'water'
    New-Item -ItemType Directory (Join-Path $data 'set.000') -Force | Out-Null
    Set-Content -LiteralPath (Join-Path $data 'type.raw') -Value "0`n1`n1"
    Set-Content -LiteralPath (Join-Path $data 'type_map.raw') -Value "O`nH"
    Write-Npy (Join-Path $data 'set.000/coord.npy') @(1.0, 1.0, 1.0, 1.97, 1.0, 1.0, 1.0, 1.97, 1.0) @(1, 9)
    Write-Npy (Join-Path $data 'set.000/box.npy') @(5.0, 0, 0, 0, 5.0, 0, 0, 0, 5.0) @(1, 9)
}

Describe 'Export-EmbeddingRangePlot' {
    It 'writes an SVG with one distance series per type pair and the range marked' {
        $path = Join-Path $TestDrive 'range.svg'
        $file = $range | Export-EmbeddingRangePlot $path -TrainingData $data -PassThru
        $file | Should -BeOfType ([IO.FileInfo])
        [xml] $svg = Get-Content -Raw -LiteralPath $path
        $svg.DocumentElement.LocalName | Should -Be 'svg'
        $svg.DocumentElement.NamespaceURI | Should -Be 'http://www.w3.org/2000/svg'
        $series = @($svg.SelectNodes("//*[local-name()='polyline'][@class='series']"))
        ($series | ForEach-Object { $_.GetAttribute('data-pair') }) | Should -Be @('O-O', 'O-H', 'H-O', 'H-H')
        $series[0].GetAttribute('points') -split ' ' | Should -HaveCount 200
        $marks = @($svg.SelectNodes("//*[local-name()='line'][@class='mark']"))
        ($marks | ForEach-Object { $_.GetAttribute('data-mark') }) | Should -Be @('min_nbor_dist', 'rcut_smth', 'rcut')
    }

    It 'counts each centre''s neighbours within rcut, periodic images included' {
        $h = [DeepMdCompress.Core.Ranges.DistanceHistogram]::Compute([string[]] @($data), [string[]] @('O', 'H'), 4.0, 0.02, [long]::MaxValue, [Threading.CancellationToken]::None)
        $h.Frames | Should -Be 1
        $h.Closest | Should -BeGreaterThan 0.969
        $h.Closest | Should -BeLessThan 0.971
        # O sees two H at 0.97 Å; each H sees the O and the other H (1.37 Å); no atom sees its own images (5 Å).
        ($h.Counts[1] | Measure-Object -Sum).Sum | Should -Be 2
        $h.Counts[1][48] | Should -Be 2
        ($h.Counts[0] | Measure-Object -Sum).Sum | Should -Be 0
        ($h.Counts[3] | Measure-Object -Sum).Sum | Should -Be 2
        $h.Counts[3][68] | Should -Be 2
    }

    It 'says which data it needs when the range was not measured on any, and writes nothing' {
        $path = Join-Path $TestDrive 'none.svg'
        $range | Export-EmbeddingRangePlot $path -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NoDistanceData,*'
        $err[0].Exception.Message | Should -Match 'TrainingData'
        Test-Path $path | Should -BeFalse
    }

    It 'writes nothing with -WhatIf and refuses an existing file without -Force' {
        $path = Join-Path $TestDrive 'w.svg'
        $range | Export-EmbeddingRangePlot $path -TrainingData $data -WhatIf
        Test-Path $path | Should -BeFalse
        Set-Content -LiteralPath $path -Value 'previous'
        $range | Export-EmbeddingRangePlot $path -TrainingData $data -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OutputFileExists,*'
        Get-Content -LiteralPath $path | Should -Be 'previous'
        $range | Export-EmbeddingRangePlot $path -TrainingData $data -Force
        (Get-Content -Raw -LiteralPath $path) | Should -Match '^<svg '
    }

    It 'names the missing folder' {
        { $range | Export-EmbeddingRangePlot (Join-Path $TestDrive 'x.svg') -TrainingData (Join-Path $TestDrive 'nodata') -ErrorAction Stop } |
            Should -Throw '*nodata*'
    }

    It 'shows synopsis, every parameter and an example in Get-Help' {
        $help = Get-Help Export-EmbeddingRangePlot -Full
        $help.Synopsis | Should -Match 'SVG'
        foreach ($p in 'InputObject', 'Path', 'LiteralPath', 'TrainingData', 'BinWidth', 'MaxFrames', 'Force', 'PassThru') {
            ($help.parameters.parameter | Where-Object name -eq $p).description | Should -Not -BeNullOrEmpty
        }
        @($help.examples.example).Count | Should -BeGreaterThan 0
    }
}
