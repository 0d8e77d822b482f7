// tlb_array: one set-associative translation array tagged by PCID and G,
// the RTL twin of model/hw/tlb.c (rules in model/hw/tlb.h). One instance
// holds one page size. SETS must be a power of two (1 gives a fully
// associative array): the set index, VPN mod SETS, is then the VPN's low
// bits, as in the C model.
//
// Timing: lookup is combinational (outputs follow the lookup inputs in the
// same cycle); every state change (fill, invalidation, the replacement
// update of a lookup hit) happens at the rising clock edge.
// Priority when requests coincide: an invalidation wins over a fill, which
// wins over the replacement update of a lookup hit. The losing request has
// no effect that cycle; fill_ready_o and touch_ready_o say whether a fill or
// a hit's update will take effect.
//
// Replacement (REPL = 0: LRU, 1: tree-PLRU), identical to the C model:
//   LRU: an age per way, a permutation of 0..WAYS-1 (0 = most recent),
//     reset age[w] = w; touching w ages every younger way by one and makes
//     w 0; the victim is the way of age WAYS-1.
//   tree-PLRU: per set a tree over LEAVES = next power of two >= WAYS,
//     nodes heap-numbered 1..LEAVES-1 (bit n-1 of the set's vector), reset
//     0; touching w points every node on its path away from w; the victim
//     follows the bits from the root (0 = left) but never into a subtree
//     whose leaves are all >= WAYS.
// Touch on a lookup hit and on a fill, never on an invalidation.
// A fill writes the lowest way that co-matches it (same VPN and same PCID,
// or either global) and invalidates the other co-matching ways; without
// one, the lowest invalid way; without one, the policy's victim.
module tlb_array #(
  parameter int unsigned SETS   = 16,
  parameter int unsigned WAYS   = 4,
  parameter int unsigned VPN_W  = 36,
  parameter int unsigned PFN_W  = 40,
  parameter int unsigned PCID_W = 12,
  parameter int unsigned REPL   = 0,
  // derived
  parameter int unsigned SET_W  = (SETS > 1) ? $clog2(SETS) : 1,
  parameter int unsigned WAY_W  = (WAYS > 1) ? $clog2(WAYS) : 1,
  parameter int unsigned LEAVES = (WAYS > 2) ? (1 << $clog2(WAYS)) : 2
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  // lookup
  input  logic              lookup_valid_i,
  input  logic [VPN_W-1:0]  lookup_vpn_i,
  input  logic [PCID_W-1:0] lookup_pcid_i,
  input  logic              lookup_pge_i,
  input  logic              lookup_write_i,
  output logic              hit_o,
  output logic [WAY_W-1:0]  hit_way_o,
  output logic [PFN_W-1:0]  hit_pfn_o,
  output logic [2:0]        hit_perm_o,     // {XD, U, W}
  output logic              hit_dirty_o,
  output logic              needs_walk_o,   // a write hitting a clean entry
  output logic              multi_hit_o,    // checker: never 1
  output logic              touch_ready_o,
  // fill
  input  logic              fill_valid_i,
  input  logic [VPN_W-1:0]  fill_vpn_i,
  input  logic [PCID_W-1:0] fill_pcid_i,
  input  logic              fill_global_i,
  input  logic [2:0]        fill_perm_i,
  input  logic              fill_dirty_i,
  input  logic [PFN_W-1:0]  fill_pfn_i,
  output logic              fill_ready_o,
  output logic [WAY_W-1:0]  fill_way_o,     // the way the fill writes
  // invalidation
  input  logic              inv_valid_i,
  input  logic [2:0]        inv_op_i,       // tlb_inv_op_e encoding below
  input  logic [PCID_W-1:0] inv_pcid_i,
  input  logic [VPN_W-1:0]  inv_vpn_i,
  // debug read port (full-contents comparison)
  input  logic [SET_W-1:0]  dbg_set_i,
  input  logic [WAY_W-1:0]  dbg_way_i,
  output logic              dbg_valid_o,
  output logic [VPN_W-1:0]  dbg_vpn_o,
  output logic [PCID_W-1:0] dbg_pcid_o,
  output logic              dbg_global_o,
  output logic [2:0]        dbg_perm_o,
  output logic              dbg_dirty_o,
  output logic [PFN_W-1:0]  dbg_pfn_o,
  output logic [WAY_W-1:0]  dbg_victim_o
);

  // Invalidation operations (model/hw/tlb.h, enum tlb_op_kind).
  localparam logic [2:0] InvFlushPcid     = 3'd0;  // non-global entries of one PCID
  localparam logic [2:0] InvInvlpg        = 3'd1;  // one page: that PCID and globals
  localparam logic [2:0] InvInvpcidAddr   = 3'd2;  // one page: that PCID, non-global
  localparam logic [2:0] InvFlushAll      = 3'd3;  // everything
  localparam logic [2:0] InvFlushNonGlobal = 3'd4; // everything but globals

  localparam int unsigned N = SETS * WAYS;
  localparam int unsigned NODES = LEAVES - 1;

  // ---- state ----
  logic              valid_q  [0:N-1];
  logic [VPN_W-1:0]  vpn_q    [0:N-1];
  logic [PCID_W-1:0] pcid_q   [0:N-1];
  logic              global_q [0:N-1];
  logic [2:0]        perm_q   [0:N-1];
  logic              dirty_q  [0:N-1];
  logic [PFN_W-1:0]  pfn_q    [0:N-1];
  logic [WAY_W-1:0]  age_q    [0:N-1];     // LRU
  logic [NODES-1:0]  tree_q   [0:SETS-1];  // tree-PLRU

  // set index: VPN mod SETS, the low bits (0 for a single set)
  logic [SET_W-1:0] lookup_set, fill_set;
  assign lookup_set = (SETS > 1) ? lookup_vpn_i[SET_W-1:0] : '0;
  assign fill_set   = (SETS > 1) ? fill_vpn_i[SET_W-1:0] : '0;

  // entry index = set * WAYS + way, in 32 bits
  function automatic logic [31:0] idx(input logic [SET_W-1:0] set, input logic [WAY_W-1:0] way);
    idx = {{(32 - SET_W){1'b0}}, set} * WAYS + {{(32 - WAY_W){1'b0}}, way};
  endfunction
  function automatic logic [31:0] base(input logic [SET_W-1:0] set);
    base = {{(32 - SET_W){1'b0}}, set} * WAYS;
  endfunction
  function automatic logic [WAY_W-1:0] way_of(input logic [31:0] n);
    way_of = n[WAY_W-1:0];
  endfunction

  // ---- lookup ----
  logic [WAYS-1:0] lookup_match;
  integer lw;
  always_comb begin
    lookup_match = '0;
    for (lw = 0; lw < WAYS; lw = lw + 1) begin
      lookup_match[lw] = valid_q[base(lookup_set) + lw] &&
                         vpn_q[base(lookup_set) + lw] == lookup_vpn_i &&
                         (pcid_q[base(lookup_set) + lw] == lookup_pcid_i ||
                          (global_q[base(lookup_set) + lw] && lookup_pge_i));
    end
  end

  logic [WAY_W-1:0] lookup_way;
  logic [WAY_W:0]   lookup_count;
  integer pw;
  always_comb begin
    lookup_way = '0;
    lookup_count = '0;
    for (pw = WAYS - 1; pw >= 0; pw = pw - 1) begin
      if (lookup_match[pw]) begin
        lookup_way = way_of(pw);
        lookup_count = lookup_count + 1'b1;
      end
    end
  end

  assign hit_o        = lookup_valid_i && (|lookup_match);
  assign hit_way_o    = lookup_way;
  assign hit_pfn_o    = pfn_q[idx(lookup_set, lookup_way)];
  assign hit_perm_o   = perm_q[idx(lookup_set, lookup_way)];
  assign hit_dirty_o  = dirty_q[idx(lookup_set, lookup_way)];
  assign needs_walk_o = hit_o && lookup_write_i && !hit_dirty_o;
  assign multi_hit_o  = lookup_valid_i && (lookup_count > 1);
  assign fill_ready_o = !inv_valid_i;
  assign touch_ready_o = !inv_valid_i && !fill_valid_i;

  // ---- replacement: victims ----
  function automatic logic [WAY_W-1:0] lru_victim(input logic [SET_W-1:0] set);
    integer v;
    lru_victim = '0;
    for (v = 0; v < WAYS; v = v + 1) begin
      if (age_q[base(set) + v] == way_of(WAYS - 1)) lru_victim = way_of(v);
    end
  endfunction

  function automatic logic [WAY_W-1:0] plru_victim(input logic [NODES-1:0] bits);
    integer node, lo, span, level;
    logic right;
    node = 1;
    lo = 0;
    span = LEAVES;
    for (level = 0; level < $clog2(LEAVES); level = level + 1) begin
      span = span / 2;
      right = bits[node - 1];
      if (right && lo + span >= WAYS) right = 1'b0;  // no real way there
      node = 2 * node + (right ? 1 : 0);
      if (right) lo = lo + span;
    end
    plru_victim = way_of(lo);
  endfunction

  function automatic logic [NODES-1:0] plru_touch(input logic [NODES-1:0] bits,
                                                 input logic [WAY_W-1:0] way);
    integer node, lo, span, level;
    logic left;
    plru_touch = bits;
    node = 1;
    lo = 0;
    span = LEAVES;
    for (level = 0; level < $clog2(LEAVES); level = level + 1) begin
      span = span / 2;
      left = {{(32 - WAY_W){1'b0}}, way} < lo + span;
      plru_touch[node - 1] = left;   // point away from the touched way
      node = 2 * node + (left ? 0 : 1);
      if (!left) lo = lo + span;
    end
  endfunction

  function automatic logic [WAY_W-1:0] victim_of(input logic [SET_W-1:0] set);
    if (REPL == 0) victim_of = lru_victim(set);
    else victim_of = plru_victim(tree_q[set]);
  endfunction

  // ---- fill: conflicts, the written way ----
  logic [WAYS-1:0] fill_conflict, fill_invalid;
  integer fw;
  always_comb begin
    fill_conflict = '0;
    fill_invalid = '0;
    for (fw = 0; fw < WAYS; fw = fw + 1) begin
      fill_invalid[fw] = !valid_q[base(fill_set) + fw];
      fill_conflict[fw] = valid_q[base(fill_set) + fw] &&
                          vpn_q[base(fill_set) + fw] == fill_vpn_i &&
                          (pcid_q[base(fill_set) + fw] == fill_pcid_i ||
                           global_q[base(fill_set) + fw] || fill_global_i);
    end
  end

  logic [WAY_W-1:0] first_conflict, first_invalid;
  integer cw;
  always_comb begin
    first_conflict = '0;
    first_invalid = '0;
    for (cw = WAYS - 1; cw >= 0; cw = cw - 1) begin
      if (fill_conflict[cw]) first_conflict = way_of(cw);
      if (fill_invalid[cw]) first_invalid = way_of(cw);
    end
  end

  always_comb begin
    if (|fill_conflict) fill_way_o = first_conflict;
    else if (|fill_invalid) fill_way_o = first_invalid;
    else fill_way_o = victim_of(fill_set);
  end

  // ---- invalidation: which entries go ----
  logic [N-1:0] inv_kill;
  integer iw;
  always_comb begin
    inv_kill = '0;
    for (iw = 0; iw < N; iw = iw + 1) begin
      unique case (inv_op_i)
        InvFlushPcid:      inv_kill[iw] = pcid_q[iw] == inv_pcid_i && !global_q[iw];
        InvInvlpg:         inv_kill[iw] = vpn_q[iw] == inv_vpn_i &&
                                          (global_q[iw] || pcid_q[iw] == inv_pcid_i);
        InvInvpcidAddr:    inv_kill[iw] = vpn_q[iw] == inv_vpn_i && !global_q[iw] &&
                                          pcid_q[iw] == inv_pcid_i;
        InvFlushAll:       inv_kill[iw] = 1'b1;
        InvFlushNonGlobal: inv_kill[iw] = !global_q[iw];
        default:           inv_kill[iw] = 1'b0;
      endcase
    end
  end

  // ---- the touch of this cycle: which set and way, if any ----
  logic             touch_en;
  logic [SET_W-1:0] touch_set;
  logic [WAY_W-1:0] touch_way;
  always_comb begin
    touch_en = 1'b0;
    touch_set = lookup_set;
    touch_way = lookup_way;
    if (!inv_valid_i && fill_valid_i) begin
      touch_en = 1'b1;
      touch_set = fill_set;
      touch_way = fill_way_o;
    end else if (!inv_valid_i && hit_o) begin
      touch_en = 1'b1;
    end
  end

  // ---- state update ----
  integer e, s, a;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (e = 0; e < N; e = e + 1) begin
        valid_q[e]  <= 1'b0;
        vpn_q[e]    <= '0;
        pcid_q[e]   <= '0;
        global_q[e] <= 1'b0;
        perm_q[e]   <= '0;
        dirty_q[e]  <= 1'b0;
        pfn_q[e]    <= '0;
        age_q[e]    <= way_of(e % WAYS);
      end
      for (s = 0; s < SETS; s = s + 1) tree_q[s] <= '0;
    end else begin
      if (inv_valid_i) begin
        for (e = 0; e < N; e = e + 1) begin
          if (inv_kill[e]) valid_q[e] <= 1'b0;
        end
      end else if (fill_valid_i) begin
        for (a = 0; a < WAYS; a = a + 1) begin
          if (fill_conflict[a] && way_of(a) != fill_way_o) valid_q[base(fill_set) + a] <= 1'b0;
        end
        valid_q[idx(fill_set, fill_way_o)]  <= 1'b1;
        vpn_q[idx(fill_set, fill_way_o)]    <= fill_vpn_i;
        pcid_q[idx(fill_set, fill_way_o)]   <= fill_pcid_i;
        global_q[idx(fill_set, fill_way_o)] <= fill_global_i;
        perm_q[idx(fill_set, fill_way_o)]   <= fill_perm_i;
        dirty_q[idx(fill_set, fill_way_o)]  <= fill_dirty_i;
        pfn_q[idx(fill_set, fill_way_o)]    <= fill_pfn_i;
      end
      if (touch_en) begin
        if (REPL == 0) begin
          for (a = 0; a < WAYS; a = a + 1) begin
            if (age_q[base(touch_set) + a] < age_q[idx(touch_set, touch_way)])
              age_q[base(touch_set) + a] <= age_q[base(touch_set) + a] + 1'b1;
          end
          age_q[idx(touch_set, touch_way)] <= '0;
        end else begin
          tree_q[touch_set] <= plru_touch(tree_q[touch_set], touch_way);
        end
      end
    end
  end

  // ---- debug read port ----
  assign dbg_valid_o  = valid_q[idx(dbg_set_i, dbg_way_i)];
  assign dbg_vpn_o    = vpn_q[idx(dbg_set_i, dbg_way_i)];
  assign dbg_pcid_o   = pcid_q[idx(dbg_set_i, dbg_way_i)];
  assign dbg_global_o = global_q[idx(dbg_set_i, dbg_way_i)];
  assign dbg_perm_o   = perm_q[idx(dbg_set_i, dbg_way_i)];
  assign dbg_dirty_o  = dirty_q[idx(dbg_set_i, dbg_way_i)];
  assign dbg_pfn_o    = pfn_q[idx(dbg_set_i, dbg_way_i)];
  assign dbg_victim_o = victim_of(dbg_set_i);

`ifdef FORMAL
  // Properties for Yosys `sat -tempinduct -prove-asserts` (rtl/formal):
  //  (a) at most one entry hits a lookup;
  //  (b) the cycle after an invalidation no entry it covers is still valid;
  //  (c) no fill leaves two valid entries that would co-match (same VPN, and
  //      same PCID or either global) - the invariant behind (a);
  //  and, to make induction work, every valid entry lives in its VPN's set.
  logic              f_inv_q;
  logic [2:0]        f_op_q;
  logic [PCID_W-1:0] f_pcid_q;
  logic [VPN_W-1:0]  f_vpn_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      f_inv_q <= 1'b0;
      f_op_q <= '0;
      f_pcid_q <= '0;
      f_vpn_q <= '0;
    end else begin
      f_inv_q <= inv_valid_i;
      f_op_q <= inv_op_i;
      f_pcid_q <= inv_pcid_i;
      f_vpn_q <= inv_vpn_i;
    end
  end

  integer fa, fb, fs;
  always_comb begin
    fa = 0;
    fb = 0;
    fs = 0;
    if (rst_ni) begin
      assert (!multi_hit_o);                                            // (a)
      for (fs = 0; fs < SETS; fs = fs + 1) begin
        for (fa = 0; fa < WAYS; fa = fa + 1) begin
          if (SETS > 1 && valid_q[fs * WAYS + fa])
            assert (vpn_q[fs * WAYS + fa][SET_W-1:0] == fs[SET_W-1:0]);
          for (fb = fa + 1; fb < WAYS; fb = fb + 1) begin                // (c)
            assert (!(valid_q[fs * WAYS + fa] && valid_q[fs * WAYS + fb] &&
                      vpn_q[fs * WAYS + fa] == vpn_q[fs * WAYS + fb] &&
                      (pcid_q[fs * WAYS + fa] == pcid_q[fs * WAYS + fb] ||
                       global_q[fs * WAYS + fa] || global_q[fs * WAYS + fb])));
          end
        end
      end
      if (f_inv_q) begin                                                 // (b)
        for (fa = 0; fa < N; fa = fa + 1) begin
          unique case (f_op_q)
            InvFlushPcid:
              assert (!(valid_q[fa] && pcid_q[fa] == f_pcid_q && !global_q[fa]));
            InvInvlpg:
              assert (!(valid_q[fa] && vpn_q[fa] == f_vpn_q &&
                        (global_q[fa] || pcid_q[fa] == f_pcid_q)));
            InvInvpcidAddr:
              assert (!(valid_q[fa] && vpn_q[fa] == f_vpn_q && !global_q[fa] &&
                        pcid_q[fa] == f_pcid_q));
            InvFlushAll:
              assert (!valid_q[fa]);
            InvFlushNonGlobal:
              assert (!(valid_q[fa] && !global_q[fa]));
            default: ;
          endcase
        end
      end
    end
  end
`endif

endmodule
