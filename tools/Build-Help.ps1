<#
.SYNOPSIS
    Compiles the markdown help in en-US/ into MAML (DeepMdCompress.dll-Help.xml) and about_*.help.txt.
.DESCRIPTION
    platyPS is not served here, so this is our own small converter for the platyPS markdown layout
    (## SYNOPSIS, ## DESCRIPTION, ## EXAMPLES with ### titles and fenced code, ## PARAMETERS with ### -Name
    and a yaml block, ## INPUTS, ## OUTPUTS, ## NOTES, ## RELATED LINKS).
    It runs in a child PowerShell with the staged module imported, so the syntax blocks come from the real
    parameter sets, and it fails the build when a cmdlet parameter has no markdown section or a section
    names a parameter the cmdlet does not have.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $MarkdownPath,
    [Parameter(Mandatory)][string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module -Name $ModulePath -Force
$module = Get-Module DeepMdCompress
$commonParameters = [System.Management.Automation.Cmdlet]::CommonParameters

function Split-Sections([string[]] $lines, [string] $prefix) {
    # Returns an ordered dictionary: heading text -> lines under it (until the next heading of the same level).
    $sections = [ordered]@{}
    $current = $null
    $inFence = $false
    foreach ($line in $lines) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line.StartsWith($prefix) -and -not $line.StartsWith($prefix + '#')) {
            $current = $line.Substring($prefix.Length).Trim()
            $sections[$current] = [System.Collections.Generic.List[string]]::new()
            continue
        }
        if ($null -ne $current) { $sections[$current].Add($line) }
    }
    $sections
}

function Get-Paragraphs([System.Collections.Generic.List[string]] $lines) {
    # Prose paragraphs (blank-line separated), reflowed: the markdown's hard line breaks become spaces, so
    # Get-Help wraps the text to the console; a list item starts a new line. Fenced code is kept verbatim.
    $paras = [System.Collections.Generic.List[string]]::new()
    $buffer = [System.Text.StringBuilder]::new()
    $inFence = $false
    $lastFenced = $false
    foreach ($line in $lines) {
        if ($line -match '^```') {
            $inFence = -not $inFence
            continue
        }
        if (-not $inFence -and [string]::IsNullOrWhiteSpace($line)) {
            if ($buffer.Length) { $paras.Add($buffer.ToString().Trim()); $null = $buffer.Clear() }
            continue
        }
        $text = if ($inFence) { $line } else { $line.Trim() }
        if ($buffer.Length) {
            $newLine = $inFence -or $lastFenced -or $text -match '^([-*+]|\d+\.)\s'
            $null = $buffer.Append($(if ($newLine) { "`n" } else { ' ' }))
        }
        $null = $buffer.Append($text)
        $lastFenced = $inFence
    }
    if ($buffer.Length) { $paras.Add($buffer.ToString().Trim()) }
    , $paras
}

function Add-Paras([System.Xml.XmlWriter] $w, $paras) {
    $w.WriteStartElement('maml', 'description', 'http://schemas.microsoft.com/maml/2004/10')
    foreach ($p in $paras) { $w.WriteElementString('maml', 'para', 'http://schemas.microsoft.com/maml/2004/10', ($p -replace '`', '')) }
    $w.WriteEndElement()
}

function Get-TypeName([type] $t) {
    $u = [Nullable]::GetUnderlyingType($t)
    if ($u) { $u.Name } else { $t.Name }
}

$maml = 'http://schemas.microsoft.com/maml/2004/10'
$cmd = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

New-Item -ItemType Directory -Force -Path $OutputPath | Out-Null
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$xmlPath = Join-Path $OutputPath 'DeepMdCompress.dll-Help.xml'
$w = [System.Xml.XmlWriter]::Create($xmlPath, $settings)
$w.WriteStartDocument()
$w.WriteStartElement('helpItems')
$w.WriteAttributeString('schema', 'maml')
$w.WriteAttributeString('xmlns', 'maml', $null, $maml)
$w.WriteAttributeString('xmlns', 'command', $null, $cmd)
$w.WriteAttributeString('xmlns', 'dev', $null, $dev)

$problems = [System.Collections.Generic.List[string]]::new()
$exported = @($module.ExportedCmdlets.Keys)
foreach ($name in $exported) {
    $file = Join-Path $MarkdownPath "$name.md"
    if (-not (Test-Path -LiteralPath $file)) { $problems.Add("$name has no help file $file"); continue }
    $lines = Get-Content -LiteralPath $file
    # Drop YAML front matter.
    if ($lines.Count -and $lines[0] -eq '---') {
        $end = [Array]::IndexOf($lines, '---', 1)
        $lines = $lines[($end + 1)..($lines.Count - 1)]
    }
    $top = Split-Sections $lines '## '
    foreach ($required in 'SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS') {
        if (-not $top.Contains($required)) { $problems.Add("$name.md lacks a '## $required' section") }
    }
    if ($problems.Count) { continue }
    $command = Get-Command -Name $name -Module DeepMdCompress
    $verb, $noun = $name -split '-', 2

    $paramDocs = Split-Sections $top['PARAMETERS'] '### '
    $docByName = @{}
    foreach ($key in $paramDocs.Keys) {
        if ($key -eq 'CommonParameters') { continue }
        $pname = $key.TrimStart('-')
        $text = [System.Collections.Generic.List[string]]::new()
        $yaml = @{}
        $inYaml = $false
        foreach ($l in $paramDocs[$key]) {
            if ($l -match '^```yaml') { $inYaml = $true; continue }
            if ($inYaml -and $l -match '^```') { $inYaml = $false; continue }
            if ($inYaml) { if ($l -match '^([^:]+):\s*(.*)$') { $yaml[$Matches[1].Trim()] = $Matches[2].Trim() } }
            else { $text.Add($l) }
        }
        $docByName[$pname] = @{ Text = (Get-Paragraphs $text); Yaml = $yaml }
    }
    $actual = @($command.Parameters.Keys | Where-Object { $_ -notin $commonParameters })
    foreach ($p in $actual) { if (-not $docByName.ContainsKey($p)) { $problems.Add("$name.md does not document parameter -$p") } }
    foreach ($p in $docByName.Keys) { if ($p -notin $actual) { $problems.Add("$name.md documents -$p, which $name does not have") } }
    $examples = Split-Sections $top['EXAMPLES'] '### '
    if ($examples.Count -eq 0) { $problems.Add("$name.md has no example") }

    $w.WriteStartElement('command', 'command', $cmd)
    $w.WriteStartElement('command', 'details', $cmd)
    $w.WriteElementString('command', 'name', $cmd, $name)
    $w.WriteElementString('command', 'verb', $cmd, $verb)
    $w.WriteElementString('command', 'noun', $cmd, $noun)
    Add-Paras $w (Get-Paragraphs $top['SYNOPSIS'])
    $w.WriteEndElement()
    Add-Paras $w (Get-Paragraphs $top['DESCRIPTION'])

    # Syntax from the real parameter sets.
    $w.WriteStartElement('command', 'syntax', $cmd)
    foreach ($set in $command.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $cmd)
        $w.WriteElementString('maml', 'name', $maml, $name)
        foreach ($p in $set.Parameters | Where-Object { $_.Name -notin $commonParameters }) {
            $w.WriteStartElement('command', 'parameter', $cmd)
            $w.WriteAttributeString('required', $p.IsMandatory.ToString().ToLowerInvariant())
            $w.WriteAttributeString('position', $(if ($p.Position -ge 0) { [string]($p.Position + 1) } else { 'named' }))
            $w.WriteAttributeString('pipelineInput', $(if ($p.ValueFromPipeline -or $p.ValueFromPipelineByPropertyName) { 'True' } else { 'False' }))
            $w.WriteElementString('maml', 'name', $maml, $p.Name)
            if ($p.ParameterType -ne [System.Management.Automation.SwitchParameter]) {
                $w.WriteStartElement('command', 'parameterValue', $cmd)
                $w.WriteAttributeString('required', 'true')
                $w.WriteString((Get-TypeName $p.ParameterType))
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $cmd)
    foreach ($pname in $actual) {
        $meta = $command.Parameters[$pname]
        $doc = $docByName[$pname]
        if ($null -eq $doc) { continue }
        $attrs = @($meta.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
        $mandatory = [bool]($attrs | Where-Object Mandatory)
        $positioned = @($attrs | Where-Object { $_.Position -ge 0 })
        $position = if ($positioned.Count) { $positioned[0].Position } else { $null }
        $byValue = [bool]($attrs | Where-Object ValueFromPipeline)
        $byName = [bool]($attrs | Where-Object ValueFromPipelineByPropertyName)
        $pipeline = if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' } elseif ($byValue) { 'True (ByValue)' } elseif ($byName) { 'True (ByPropertyName)' } else { 'False' }
        $w.WriteStartElement('command', 'parameter', $cmd)
        $w.WriteAttributeString('required', $mandatory.ToString().ToLowerInvariant())
        $w.WriteAttributeString('globbing', $(if ($meta.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }) { 'true' } else { 'false' }))
        $w.WriteAttributeString('pipelineInput', $pipeline)
        $w.WriteAttributeString('position', $(if ($null -ne $position) { [string]($position + 1) } else { 'named' }))
        $w.WriteAttributeString('aliases', $(if ($meta.Aliases.Count) { $meta.Aliases -join ', ' } else { 'none' }))
        $w.WriteElementString('maml', 'name', $maml, $pname)
        Add-Paras $w $doc.Text
        if ($meta.ParameterType -ne [System.Management.Automation.SwitchParameter]) {
            $w.WriteStartElement('command', 'parameterValue', $cmd)
            $w.WriteAttributeString('required', 'true')
            $w.WriteString((Get-TypeName $meta.ParameterType))
            $w.WriteEndElement()
        }
        $w.WriteStartElement('dev', 'type', $dev)
        $w.WriteElementString('maml', 'name', $maml, $meta.ParameterType.FullName)
        $w.WriteEndElement()
        $default = $doc.Yaml['Default value']
        $w.WriteElementString('dev', 'defaultValue', $dev, $(if ($default) { $default } else { 'None' }))
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    foreach ($section in 'INPUTS', 'OUTPUTS') {
        $tag = if ($section -eq 'INPUTS') { 'inputTypes' } else { 'returnValues' }
        $item = if ($section -eq 'INPUTS') { 'inputType' } else { 'returnValue' }
        $w.WriteStartElement('command', $tag, $cmd)
        if ($top.Contains($section)) {
            $types = Split-Sections $top[$section] '### '
            foreach ($t in $types.Keys) {
                $w.WriteStartElement('command', $item, $cmd)
                $w.WriteStartElement('dev', 'type', $dev)
                $w.WriteElementString('maml', 'name', $maml, $t)
                $w.WriteEndElement()
                Add-Paras $w (Get-Paragraphs $types[$t])
                $w.WriteEndElement()
            }
        }
        $w.WriteEndElement()
    }

    if ($top.Contains('NOTES')) {
        $w.WriteStartElement('maml', 'alertSet', $maml)
        $w.WriteStartElement('maml', 'alert', $maml)
        foreach ($p in (Get-Paragraphs $top['NOTES'])) { $w.WriteElementString('maml', 'para', $maml, $p) }
        $w.WriteEndElement()
        $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'examples', $cmd)
    foreach ($title in $examples.Keys) {
        $exLines = $examples[$title]
        $code = [System.Collections.Generic.List[string]]::new()
        $rest = [System.Collections.Generic.List[string]]::new()
        $inFence = $false; $seenFence = $false
        foreach ($l in $exLines) {
            if ($l -match '^```') { $inFence = -not $inFence; if (-not $inFence) { $seenFence = $true }; continue }
            if ($inFence -and -not $seenFence) { $code.Add($l) } elseif (-not $inFence) { $rest.Add($l) } else { $rest.Add($l) }
        }
        $w.WriteStartElement('command', 'example', $cmd)
        $w.WriteElementString('maml', 'title', $maml, "-------------------------- $title --------------------------")
        $w.WriteElementString('dev', 'code', $dev, ($code -join "`n"))
        $w.WriteStartElement('dev', 'remarks', $dev)
        foreach ($p in (Get-Paragraphs $rest)) { $w.WriteElementString('maml', 'para', $maml, ($p -replace '`', '')) }
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $cmd)
    if ($top.Contains('RELATED LINKS')) {
        foreach ($l in $top['RELATED LINKS']) {
            if ($l -match '^\s*\[([^\]]+)\]\(([^)]*)\)') {
                $w.WriteStartElement('maml', 'navigationLink', $maml)
                $w.WriteElementString('maml', 'linkText', $maml, $Matches[1])
                $w.WriteElementString('maml', 'uri', $maml, $Matches[2])
                $w.WriteEndElement()
            }
        }
    }
    $w.WriteEndElement()
    $w.WriteEndElement() # command
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()

# about_ topics: markdown -> plain text (headings upper-cased, fences indented).
foreach ($about in Get-ChildItem -LiteralPath $MarkdownPath -Filter 'about_*.md') {
    $out = [System.Collections.Generic.List[string]]::new()
    $inFence = $false
    foreach ($l in Get-Content -LiteralPath $about.FullName) {
        if ($l -match '^```') { $inFence = -not $inFence; continue }
        if ($inFence) { $out.Add('    ' + $l); continue }
        if ($l -match '^(#+)\s+(.*)$') {
            $out.Add($(if ($Matches[1].Length -le 2) { $Matches[2].ToUpperInvariant() } else { '  ' + $Matches[2] }))
            continue
        }
        $out.Add($(if ($l) { '    ' + ($l -replace '`', '') } else { '' }))
    }
    $target = Join-Path $OutputPath ($about.BaseName + '.help.txt')
    [System.IO.File]::WriteAllLines($target, $out, [System.Text.UTF8Encoding]::new($false))
}

if (-not (Test-Path -LiteralPath (Join-Path $MarkdownPath 'about_DeepMdCompress.md'))) { $problems.Add('en-US/about_DeepMdCompress.md is missing') }
if ($problems.Count) {
    throw "Help is incomplete:`n  " + ($problems -join "`n  ")
}
Write-Host "Help: $($exported.Count) cmdlets compiled to $xmlPath"
