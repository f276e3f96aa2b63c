# tests/e2e/t_realprog.sh: where clrheap's document of an object differs
# from the ClrMD oracle's (`objects --logical`). Input: $o and $m, the
# oracle's and clrheap's documents (numbers as "#text" strings, so equal
# means digit for digit). Output: a line "type<TAB>path" per object that
# differs. What only clrheap decodes is not compared:
#  - objects of the types `known` names (the oracle shows their fields,
#    clrheap their content: DESIGN.md §4);
#  - "$method"/"$methodDesc" (delegates and method handles; the oracle has
#    no names for them), so a named RuntimeMethodHandleInternal is skipped,
#    and an exception's "$stackTrace" (t_exceptions.sh checks the frames);
#  - generic arguments in "$type": ClrMD names what it cannot resolve
#    exactly `__Canon` or `T1`, clrheap names the exact instantiation (the
#    stat rows, checked apart, hold every name);
#  - an object one side renders in full and the other as {"$ref":…} to the
#    same address (it was rendered before in that document, inside
#    something skipped above);
#  - a field ClrMD cannot resolve the type of is {"$type":"System.Void"}
#    there, null (its value) here.
def gen: if type == "string" then sub("<.*"; "") else . end;
def known:
  (.["$type"]? // "" | gen) as $g
  | ($g | startswith("System.Collections.Immutable."))
    or (["System.Collections.Generic.LinkedList", "System.Collections.Generic.LinkedListNode",
         "System.Collections.Generic.SortedDictionary", "System.Collections.Generic.SortedList",
         "System.Collections.Generic.SortedSet", "System.Collections.Hashtable",
         "System.Collections.ObjectModel.ObservableCollection",
         "System.Runtime.CompilerServices.ConditionalWeakTable", "System.Text.StringBuilder",
         "System.Memory", "System.ReadOnlyMemory", "System.Lazy",
         "System.Threading.Tasks.Task"] | index([$g]) != null);
def diffs(o; m; p):
  if (o | type) == "object" and (o | known) then empty
  elif (o | type) == "object" and o["$type"] == "System.RuntimeMethodHandleInternal"
       and (m | type) == "object" and (m | has("$methodDesc")) then empty
  elif o == {"$type": "System.Void"} and m == null then empty
  elif (o | type) == "object" and (m | type) == "object" and ((o | has("$ref")) != (m | has("$ref")))
       and (o["$ref"] // o["$addr"]) == (m["$ref"] // m["$addr"]) then empty
  elif (o | type) == "object" and (m | type) == "object" then
    (m | del(.["$method"], .["$methodDesc"], .["$stackTrace"])) as $n
    | if (o | keys) != ($n | keys) then p + " (keys)"
      else (o | keys[]) as $k
        | if $k == "$type" then (if (o[$k] | gen) == ($n[$k] | gen) then empty else p + ".$type" end)
          else diffs(o[$k]; $n[$k]; p + "." + $k) end
      end
  elif (o | type) == "array" and (m | type) == "array" then
    if (o | length) != (m | length) then p + " (length)"
    else range(o | length) as $i | diffs(o[$i]; m[$i]; p + "[]") end
  elif o == m then empty
  else p end;
($m | map({key: .["$addr"], value: .}) | from_entries) as $by
| $o[] | . as $x | ($by[$x["$addr"]] // "(missing)") as $y
| [diffs($x; $y; "")] | select(length > 0) | "\($x["$type"])\t\(.[0])"
