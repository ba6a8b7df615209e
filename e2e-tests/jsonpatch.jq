# RFC 6902 JSON Patch in jq, so that the e2e suite applies the policy's
# patches itself, with kwctl as with the bundled host (kwctl has no command
# that applies a patch). Used by common.bash:
#
#   jq -L e2e-tests --argjson patch "$P" 'include "jsonpatch"; jsonpatch($patch)' OBJECT.json
#
# Every operation of RFC 6902 (add, remove, replace, move, copy, test); a
# patch that does not apply is an error (jq exits non-zero), never a guess.

# The reference tokens of an RFC 6901 JSON pointer ("" is the whole document).
def _jp_tokens($ptr):
  if $ptr == "" then []
  elif ($ptr | startswith("/")) then
    $ptr[1:] | split("/") | map(gsub("~1"; "/") | gsub("~0"; "~"))
  else error("JSON pointer \($ptr | tojson) does not start with /")
  end;

# The jq path of $ptr in the current document: array indexes become numbers,
# "-" becomes the index past the end. Every container on the way must exist.
def _jp_path($ptr):
  . as $doc
  | _jp_tokens($ptr) as $tokens
  | reduce range(0; $tokens | length) as $i ([];
      . as $p
      | ($doc | getpath($p)) as $container
      | ($container | type) as $t
      | if $t == "array" then
          if $tokens[$i] == "-" then $p + [$container | length]
          elif ($tokens[$i] | test("^(0|[1-9][0-9]*)$")) then $p + [$tokens[$i] | tonumber]
          else error("\($ptr): \($tokens[$i] | tojson) is not an array index")
          end
        elif $t == "object" then $p + [$tokens[$i]]
        else error("\($ptr): no object or array at \($p | tojson)")
        end);

# Whether the value at jq path $p exists.
def _jp_exists($p):
  if $p == [] then true
  else getpath($p[:-1]) as $parent
    | ($parent | type) as $t
    | if $t == "array" then ($p[-1] | type) == "number" and $p[-1] < ($parent | length)
      elif $t == "object" then $parent | has($p[-1])
      else false
      end
  end;

def _jp_add($p; $v):
  if $p == [] then $v
  else getpath($p[:-1]) as $parent
    | if ($parent | type) == "array" then
        if $p[-1] > ($parent | length) then error("add: index \($p[-1]) is past the end of \($p[:-1] | tojson)")
        else setpath($p[:-1]; $parent[:$p[-1]] + [$v] + $parent[$p[-1]:])
        end
      else setpath($p; $v)
      end
  end;

def _jp_remove($p):
  if _jp_exists($p) | not then error("remove: nothing at \($p | tojson)")
  elif $p == [] then null
  else delpaths([$p])
  end;

def _jp_apply($op):
  if $op.op == "add" then _jp_add(_jp_path($op.path); $op.value)
  elif $op.op == "remove" then _jp_remove(_jp_path($op.path))
  elif $op.op == "replace" then
    _jp_path($op.path) as $p
    | if _jp_exists($p) then (if $p == [] then $op.value else setpath($p; $op.value) end)
      else error("replace: nothing at \($op.path)")
      end
  elif $op.op == "move" then
    _jp_path($op.from) as $from
    | if _jp_exists($from) | not then error("move: nothing at \($op.from)") else . end
    | getpath($from) as $v
    | _jp_remove($from)
    | _jp_add(_jp_path($op.path); $v)
  elif $op.op == "copy" then
    _jp_path($op.from) as $from
    | if _jp_exists($from) | not then error("copy: nothing at \($op.from)") else . end
    | getpath($from) as $v
    | _jp_add(_jp_path($op.path); $v)
  elif $op.op == "test" then
    _jp_path($op.path) as $p
    | if _jp_exists($p) and getpath($p) == $op.value then .
      else error("test failed at \($op.path)")
      end
  else error("unknown JSON Patch operation \($op.op | tojson)")
  end;

# The current document with every operation of $patch applied in order.
def jsonpatch($patch):
  if ($patch | type) != "array" then error("a JSON Patch is a list of operations")
  else reduce $patch[] as $op (.; _jp_apply($op))
  end;
