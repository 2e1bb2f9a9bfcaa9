# Legacy variants of the local tiny model (model version 1.1), made by undoing deepmd-kit's conversion steps
# (docs/versions.md#legacy-conversion) on its text, so that a fresh clone without ../shared still exercises every conversion.

function Remove-NodeBlock([string] $text, [string] $name) {
    $pattern = '(?m)^node \{\r?\n  name: "' + [regex]::Escape($name) + '"\r?\n(?:.*\r?\n)*?\}\r?\n'
    if ($text -notmatch $pattern) { throw "no node block '$name'" }
    ([regex] $pattern).Replace($text, '', 1)
}

function Remove-TAttr([string] $text, [string] $node) {
    $pattern = '(?ms)(^  name: "' + [regex]::Escape($node) + '"\r?\n.*?)^  attr \{\r?\n    key: "T"\r?\n    value \{\r?\n      type: DT_DOUBLE\r?\n    \}\r?\n  \}\r?\n'
    if ($text -notmatch $pattern) { throw "node '$node' has no T attr" }
    ([regex] $pattern).Replace($text, '$1', 1)
}

<#
Writes tiny_se_a.pbtxt as it would look in an older layout into $Directory and returns the path:
'2.0' (model version 1.0), '1.3' (no version node, DescrptSeA), '1.2' (also no T), '1.0' (also no daparam),
'0.12' (also no dfparam/model_type/tmap, DescrptNorot, t_rcut, t_ntypes), 'unknown' (model version 7.3), or
'loadable' (2.1 plus the four outputs deepmd-kit's C++ DeepPot fetches, which the tiny graph lacks).
#>
function New-TinyVariant([string] $Version, [string] $Directory) {
    $text = Get-Content -Raw -LiteralPath ([IO.Path]::Combine($LocalData, 'tiny_se_a.pbtxt'))
    switch ($Version) {
        '2.0' { $text = $text.Replace('string_val: "1.1"', 'string_val: "1.0"') }
        'unknown' { $text = $text.Replace('string_val: "1.1"', 'string_val: "7.3"') }
        'loadable' {
            foreach ($o in 'o_energy', 'o_force', 'o_atom_energy', 'o_atom_virial') {
                $text += "node {`n  name: `"$o`"`n  op: `"Identity`"`n  input: `"t_coord`"`n  attr {`n    key: `"T`"`n    value {`n      type: DT_DOUBLE`n    }`n  }`n}`n"
            }
        }
        default {
            $text = (Remove-NodeBlock $text 'model_attr/model_version').Replace('ProdEnvMatA', 'DescrptSeA')
            if ($Version -in '1.2', '1.0', '0.12') { $text = Remove-TAttr $text 'DescrptSeA' }
            if ($Version -in '1.0', '0.12') { $text = Remove-NodeBlock $text 'fitting_attr/daparam' }
            if ($Version -eq '0.12') {
                foreach ($n in 'fitting_attr/dfparam', 'model_attr/model_type', 'model_attr/tmap') { $text = Remove-NodeBlock $text $n }
                $text = $text.Replace('DescrptSeA', 'DescrptNorot').Replace('descrpt_attr/rcut', 't_rcut').Replace('descrpt_attr/ntypes', 't_ntypes')
            }
            if ($Version -notin '1.3', '1.2', '1.0', '0.12') { throw "unknown variant '$Version'" }
        }
    }
    $path = [IO.Path]::Combine($Directory, "tiny_$Version.pbtxt")
    [IO.File]::WriteAllText($path, $text)
    $path
}
