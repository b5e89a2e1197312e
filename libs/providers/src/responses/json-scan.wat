;; scanObject's walk (json-text.ts) over ASCII bytes: the JSON text is copied into this module's
;; memory at TEXT_AT (one byte per character, so positions are the string's), and `scan` reads
;; it as the JavaScript walk reads the string, with the same result. It returns 0 where the walk
;; returns null, 1 with the spans, `plain` and the element ids written at RESULT_AT, SPANS_AT
;; and IDS_AT, and 2 where it cannot tell (more element ids than IDS_AT holds): the caller walks
;; the text in JavaScript then.
;;
;; Whitespace is a space or a newline: tabs and carriage returns are control characters, and a
;; text holding one anywhere is not walked (null), as any other byte below 0x20 is; the walk
;; looks at every byte of the object, so a check per byte as it goes is the whole-text check.
;; The byte after the text is 0 (written by `scan`): every test fails on it, as the walk's on
;; a character past the end.
;;
;; Built by `npm run build:wasm` into json-scan.wasm.ts (json-scan.wasm.spec.ts checks it is).
(module
  (memory (export "memory") 2)
  ;; The addresses below are also written as constants where the walk stores its results
  ;; (RESULT_AT's 0 and 4, SPANS_AT's 16 and 16 + 4, IDS_AT's 16384): change them together.
  ;; i32 plain, i32 ids count (-1: null)
  (global (export "RESULT_AT") i32 (i32.const 0))
  ;; the spans, two i32 per key
  (global (export "SPANS_AT") i32 (i32.const 16))
  (global (export "MAX_KEYS") i32 (i32.const 120))
  ;; key tables: i32 count, i32 mask of lengths (bit n: a key n long, 31: 31 or more), then per
  ;; key i32 address and i32 length, each key's bytes where its address says
  (global (export "KEYS_AT") i32 (i32.const 1024))
  (global (export "KEYS_END") i32 (i32.const 16384))
  ;; element ids, two i32 per element
  (global (export "IDS_AT") i32 (i32.const 16384))
  (global $IDS_END i32 (i32.const 65536))
  (global $TEXT_AT (export "TEXT_AT") i32 (i32.const 65536))
  ;; a backslash or a newline seen in the walk
  (global $impure (mut i32) (i32.const 0))
  ;; a backslash seen in the last string walked
  (global $escaped (mut i32) (i32.const 0))

  (func $isHex (param $c i32) (result i32)
    (i32.or
      (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))
      (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  ;; Whether [from, to) holds a byte below 0x20 other than a newline.
  (func $hasControl (param $p i32) (param $to i32) (result i32)
    (local $c i32)
    (block $none
      (loop $next
        (br_if $none (i32.ge_u (local.get $p) (local.get $to)))
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.and (i32.lt_u (local.get $c) (i32.const 0x20)) (i32.ne (local.get $c) (i32.const 0x0a)))
          (then (return (i32.const 1))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; The first address from $p on that holds neither a space nor a newline. Sixteen bytes at a
  ;; time: an indented text's line breaks and indents are runs of them. (Callers call it only
  ;; where a byte <= 0x20 is: in compact text the next token is most often right there.)
  (func $skipSpace (param $p i32) (result i32)
    (local $v v128)
    (local $space i32)
    (local $run i32)
    (loop $chunk
      (local.set $v (v128.load (local.get $p)))
      (local.set $space
        (i8x16.bitmask
          (v128.or
            (i8x16.eq (local.get $v) (v128.const i8x16 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20))
            (i8x16.eq (local.get $v) (v128.const i8x16 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa)))))
      ;; The run of spaces and newlines: the trailing ones of the mask.
      (local.set $run (i32.ctz (i32.xor (local.get $space) (i32.const -1))))
      (if (i32.and
            (i8x16.bitmask (i8x16.eq (local.get $v) (v128.const i8x16 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa 0xa)))
            (i32.sub (i32.shl (i32.const 1) (local.get $run)) (i32.const 1)))
        (then (global.set $impure (i32.const 1))))
      (local.set $p (i32.add (local.get $p) (local.get $run)))
      (br_if $chunk (i32.eq (local.get $run) (i32.const 16))))
    (local.get $p))

  ;; End (exclusive) of the string whose opening quote is at $p, its escapes checked; 0 when a
  ;; control character (a newline too) comes before its closing quote, or an escape JSON lacks.
  ;; Sixteen bytes at a time: the first quote, backslash or control character among them.
  (func $stringEnd (param $p i32) (result i32)
    (local $v v128)
    (local $m i32)
    (local $c i32)
    (global.set $escaped (i32.const 0))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (loop $chunk
      (local.set $v (v128.load (local.get $p)))
      (local.set $m
        (i8x16.bitmask
          (v128.or
            (v128.or
              (i8x16.eq (local.get $v) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22))
              (i8x16.eq (local.get $v) (v128.const i8x16 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c)))
            ;; Signed: a text here is ASCII, no byte of it is above 0x7f.
            (i8x16.lt_s (local.get $v) (v128.const i8x16 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20)))))
      (if (i32.eqz (local.get $m))
        (then
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $chunk)))
      (local.set $p (i32.add (local.get $p) (i32.ctz (local.get $m))))
      (local.set $c (i32.load8_u (local.get $p)))
      (if (i32.eq (local.get $c) (i32.const 0x22))
        (then (return (i32.add (local.get $p) (i32.const 1)))))
      (if (i32.ne (local.get $c) (i32.const 0x5c))
        (then (return (i32.const 0))))
      (global.set $escaped (i32.const 1))
      (global.set $impure (i32.const 1))
      (local.set $c (i32.load8_u offset=1 (local.get $p)))
      (if (i32.eq (local.get $c) (i32.const 0x75))
        (then
          (if (i32.and
                (i32.and (call $isHex (i32.load8_u offset=2 (local.get $p))) (call $isHex (i32.load8_u offset=3 (local.get $p))))
                (i32.and (call $isHex (i32.load8_u offset=4 (local.get $p))) (call $isHex (i32.load8_u offset=5 (local.get $p)))))
            (then
              (local.set $p (i32.add (local.get $p) (i32.const 6)))
              (br $chunk)))
          (return (i32.const 0))))
      ;; " \ / b f n r t
      (if (i32.or
            (i32.or
              (i32.or (i32.eq (local.get $c) (i32.const 0x22)) (i32.eq (local.get $c) (i32.const 0x5c)))
              (i32.or (i32.eq (local.get $c) (i32.const 0x2f)) (i32.eq (local.get $c) (i32.const 0x62))))
            (i32.or
              (i32.or (i32.eq (local.get $c) (i32.const 0x66)) (i32.eq (local.get $c) (i32.const 0x6e)))
              (i32.or (i32.eq (local.get $c) (i32.const 0x72)) (i32.eq (local.get $c) (i32.const 0x74)))))
        (then
          (local.set $p (i32.add (local.get $p) (i32.const 2)))
          (br $chunk))))
    (i32.const 0))

  ;; End (exclusive) of the JSON number at $p; 0 when there is none.
  (func $numberEnd (param $p i32) (result i32)
    (local $c i32)
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.eq (local.get $c) (i32.const 0x2d))
      (then
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $p)))))
    (if (i32.eq (local.get $c) (i32.const 0x30))
      (then
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $p))))
      (else
        (if (i32.eqz (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))) (then (return (i32.const 0))))
        (loop $digits
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (local.set $c (i32.load8_u (local.get $p)))
          (br_if $digits (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))))))
    (if (i32.eq (local.get $c) (i32.const 0x2e))
      (then
        (if (i32.eqz (i32.lt_u (i32.sub (i32.load8_u offset=1 (local.get $p)) (i32.const 0x30)) (i32.const 10))) (then (return (i32.const 0))))
        (loop $digits
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (local.set $c (i32.load8_u (local.get $p)))
          (br_if $digits (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))))))
    (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x65))
      (then
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.or (i32.eq (local.get $c) (i32.const 0x2b)) (i32.eq (local.get $c) (i32.const 0x2d)))
          (then
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $p)))))
        (if (i32.eqz (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))) (then (return (i32.const 0))))
        (loop $digits
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br_if $digits (i32.lt_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)) (i32.const 10))))))
    (local.get $p))

  ;; Whether the $n bytes at $a and at $b are the same.
  (func $same (param $a i32) (param $b i32) (param $n i32) (result i32)
    (block $differ
      (loop $next
        (if (i32.eqz (local.get $n)) (then (return (i32.const 1))))
        (br_if $differ (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; scanObject(text, keys, found, from, to) for the `len` bytes at TEXT_AT: `keys` is the
  ;; address of a key table; with `found` (1), `elements` is 2 * found.elementsOf.
  (func (export "scan") (param $len i32) (param $from i32) (param $to i32) (param $keys i32) (param $found i32) (param $elements i32) (result i32)
    (local $i i32)
    (local $c i32)
    (local $depth i32)
    (local $arrays i32) ;; bit d set: the container at depth d + 1 is an array
    (local $pending i32) ;; index in the spans of the top-level value being walked (-1: none)
    (local $idPending i32) ;; index in the ids of the element's id being walked (-1: none)
    (local $ids i32) ;; 1 while the element ids are read (0: null)
    (local $idCount i32) ;; elements pushed
    (local $keyStart i32)
    (local $keyLength i32)
    (local $inElement i32)
    (local $k i32)
    (local $n i32)
    (local $entry i32)
    (local $inArray i32)
    (local $text i32)
    (local.set $text (global.get $TEXT_AT))
    (i32.store8 (i32.add (local.get $text) (local.get $len)) (i32.const 0))
    (if (call $hasControl (local.get $text) (i32.add (local.get $text) (local.get $from)))
      (then (return (i32.const 0))))
    (if (call $hasControl (i32.add (local.get $text) (local.get $to)) (i32.add (local.get $text) (local.get $len)))
      (then (return (i32.const 0))))
    (local.set $i (i32.add (local.get $text) (local.get $from)))
    (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x7b))
      (then (return (i32.const 0))))
    (local.set $n (i32.load (local.get $keys)))
    (local.set $k (i32.const 0))
    (block $set
      (loop $next
        (br_if $set (i32.ge_u (local.get $k) (i32.shl (local.get $n) (i32.const 1))))
        (i32.store (i32.add (i32.const 16) (i32.shl (local.get $k) (i32.const 2))) (i32.const -1))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next)))
    (global.set $impure (i32.const 0))
    (local.set $ids (local.get $found))
    (local.set $idCount (i32.const 0))
    (local.set $pending (i32.const -1))
    (local.set $idPending (i32.const -1))
    (local.set $depth (i32.const 0))
    (local.set $arrays (i32.const 0))
    (loop $value
      ;; A value starts at $i.
      (block $key
        (block $ended
          (local.set $c (i32.load8_u (local.get $i)))
          (if (i32.and
                (i32.and (local.get $ids) (i32.eq (local.get $pending) (local.get $elements)))
                (i32.lt_u (local.get $depth) (i32.const 3)))
            (then
              ;; The member itself (an array, else no elements), or one of its elements (an object).
              (if (i32.ne (local.get $c) (select (i32.const 0x5b) (i32.const 0x7b) (i32.eq (local.get $depth) (i32.const 1))))
                (then (local.set $ids (i32.const 0)))
                (else
                  (if (i32.eq (local.get $depth) (i32.const 2))
                    (then
                      (if (i32.ge_u (i32.add (i32.const 16384) (i32.shl (local.get $idCount) (i32.const 3))) (global.get $IDS_END))
                        (then (return (i32.const 2))))
                      (i64.store (i32.add (i32.const 16384) (i32.shl (local.get $idCount) (i32.const 3))) (i64.const -1))
                      (local.set $idCount (i32.add (local.get $idCount) (i32.const 1)))))))))
          (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x7b))
            (then
              ;; { or [
              (if (i32.eq (local.get $depth) (i32.const 31)) (then (return (i32.const 0))))
              (if (i32.eq (local.get $c) (i32.const 0x5b))
                (then (local.set $arrays (i32.or (local.get $arrays) (i32.shl (i32.const 1) (local.get $depth)))))
                (else (local.set $arrays (i32.and (local.get $arrays) (i32.xor (i32.shl (i32.const 1) (local.get $depth)) (i32.const -1))))))
              (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20)) (then (local.set $i (call $skipSpace (local.get $i)))))
              (local.set $c (i32.load8_u (local.get $i)))
              (local.set $inArray (i32.and (i32.shr_u (local.get $arrays) (i32.sub (local.get $depth) (i32.const 1))) (i32.const 1)))
              (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x7d))
                (then
                  ;; } or ]: empty, closed as it opened
                  (if (i32.ne (local.get $c) (select (i32.const 0x5d) (i32.const 0x7d) (local.get $inArray)))
                    (then (return (i32.const 0))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                  (br $ended)))
              (br_if $value (local.get $inArray))
              (br $key)))
          (if (i32.eq (local.get $c) (i32.const 0x22))
            (then
              (local.set $i (call $stringEnd (local.get $i)))
              (br_if $ended (local.get $i))
              (return (i32.const 0))))
          (if (i32.eq (local.get $c) (i32.const 0x74))
            (then
              (if (i32.ne (i32.load (local.get $i)) (i32.const 0x65757274)) (then (return (i32.const 0))))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br $ended)))
          (if (i32.eq (local.get $c) (i32.const 0x66))
            (then
              (if (i32.ne (i32.load offset=1 (local.get $i)) (i32.const 0x65736c61)) (then (return (i32.const 0))))
              (local.set $i (i32.add (local.get $i) (i32.const 5)))
              (br $ended)))
          (if (i32.eq (local.get $c) (i32.const 0x6e))
            (then
              (if (i32.ne (i32.load (local.get $i)) (i32.const 0x6c6c756e)) (then (return (i32.const 0))))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br $ended)))
          (local.set $i (call $numberEnd (local.get $i)))
          (br_if $ended (local.get $i))
          (return (i32.const 0)))
        ;; A value ended before $i.
        (loop $after
          (if (i32.and (i32.ne (local.get $pending) (i32.const -1)) (i32.eq (local.get $depth) (i32.const 1)))
            (then
              (i32.store (i32.add (i32.const 20) (i32.shl (local.get $pending) (i32.const 2))) (i32.sub (local.get $i) (local.get $text)))
              (local.set $pending (i32.const -1))))
          (if (i32.and (i32.ne (local.get $idPending) (i32.const -1)) (i32.eq (local.get $depth) (i32.const 3)))
            (then
              (if (local.get $ids)
                (then (i32.store (i32.add (i32.const 16388) (i32.shl (local.get $idPending) (i32.const 2))) (i32.sub (local.get $i) (local.get $text)))))
              (local.set $idPending (i32.const -1))))
          (if (i32.eqz (local.get $depth))
            (then
              (local.set $to (i32.add (local.get $text) (local.get $to)))
              (if (i32.ne (local.get $i) (local.get $to))
                (then
                  (if (i32.ne (call $skipSpace (local.get $i)) (local.get $to))
                    (then (return (i32.const 0))))))
              (i32.store (i32.const 0) (i32.eqz (global.get $impure)))
              (i32.store (i32.const 4) (select (local.get $idCount) (i32.const -1) (local.get $ids)))
              (return (i32.const 1))))
          (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20)) (then (local.set $i (call $skipSpace (local.get $i)))))
          (local.set $c (i32.load8_u (local.get $i)))
          (local.set $inArray (i32.and (i32.shr_u (local.get $arrays) (i32.sub (local.get $depth) (i32.const 1))) (i32.const 1)))
          (if (i32.eq (local.get $c) (i32.const 0x2c))
            (then
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20)) (then (local.set $i (call $skipSpace (local.get $i)))))
              (br_if $value (local.get $inArray))
              (br $key)))
          (if (i32.eq (local.get $c) (select (i32.const 0x5d) (i32.const 0x7d) (local.get $inArray)))
            (then
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
              (br $after)))
          (return (i32.const 0))))
      ;; A key starts at $i.
      (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x22)) (then (return (i32.const 0))))
      (local.set $keyStart (local.get $i))
      (local.set $i (call $stringEnd (local.get $i)))
      (if (i32.eqz (local.get $i)) (then (return (i32.const 0))))
      (local.set $keyLength (i32.sub (i32.sub (local.get $i) (local.get $keyStart)) (i32.const 2)))
      ;; An element's key spelled with escapes could be `id`: its ids are not read off the text.
      (local.set $inElement
        (i32.and
          (i32.and (i32.eq (local.get $depth) (i32.const 3)) (i32.eq (local.get $pending) (local.get $elements)))
          (local.get $ids)))
      (if (global.get $escaped)
        (then
          (if (i32.eq (local.get $depth) (i32.const 1)) (then (return (i32.const 0))))
          (if (local.get $inElement) (then (local.set $ids (i32.const 0))))))
      (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20)) (then (local.set $i (call $skipSpace (local.get $i)))))
      (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a)) (then (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (if (i32.le_u (i32.load8_u (local.get $i)) (i32.const 0x20)) (then (local.set $i (call $skipSpace (local.get $i)))))
      (if (i32.eq (local.get $depth) (i32.const 1))
        (then
          (if (i32.and
                (i32.shr_u
                  (i32.load offset=4 (local.get $keys))
                  (select (local.get $keyLength) (i32.const 31) (i32.lt_u (local.get $keyLength) (i32.const 31))))
                (i32.const 1))
            (then
              (local.set $k (i32.const 0))
              (local.set $entry (i32.add (local.get $keys) (i32.const 8)))
              (block $matched
                (loop $next
                  (br_if $value (i32.ge_u (local.get $k) (local.get $n)))
                  (if (i32.eq (i32.load offset=4 (local.get $entry)) (local.get $keyLength))
                    (then
                      (br_if $matched
                        (call $same (i32.load (local.get $entry)) (i32.add (local.get $keyStart) (i32.const 1)) (local.get $keyLength)))))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (local.set $entry (i32.add (local.get $entry) (i32.const 8)))
                  (br $next)))
              (local.set $k (i32.shl (local.get $k) (i32.const 1)))
              (if (i32.ne (i32.load (i32.add (i32.const 16) (i32.shl (local.get $k) (i32.const 2)))) (i32.const -1))
                (then (return (i32.const 0))))
              (i32.store (i32.add (i32.const 16) (i32.shl (local.get $k) (i32.const 2))) (i32.sub (local.get $i) (local.get $text)))
              (local.set $pending (local.get $k))))
          (br $value)))
      (if (i32.and
            (i32.and (local.get $inElement) (local.get $ids))
            (i32.and
              (i32.eq (local.get $keyLength) (i32.const 2))
              (i32.eq (i32.load16_u offset=1 (local.get $keyStart)) (i32.const 0x6469))))
        (then
          ;; Given twice, JSON.parse keeps the last: not read off the text.
          (local.set $k (i32.add (i32.const 16384) (i32.shl (i32.sub (local.get $idCount) (i32.const 1)) (i32.const 3))))
          (if (i32.ne (i32.load (local.get $k)) (i32.const -1))
            (then (local.set $ids (i32.const 0)))
            (else
              (i32.store (local.get $k) (i32.sub (local.get $i) (local.get $text)))
              (local.set $idPending (i32.shl (i32.sub (local.get $idCount) (i32.const 1)) (i32.const 1)))))))
      (br $value))
    (unreachable))
)
