// tlb_array: one set-associative translation array tagged by PCID and G,
// the RTL twin of model/hw/tlb.c (rules in model/hw/tlb.h). One instance
// holds one page size (PAGE_SHIFT), so the C model's "same shift" test is
// always true here. SETS must be a power of two (1 gives a fully
// associative array): the set index, VPN mod SETS, is then the VPN's low
// bits, as in the C model.
//
// Storage is one row per set (every way's field side by side), so a lookup,
// a fill and the debug port each read one row through a SETS:1 multiplexer
// and compare the WAYS entries of that row in parallel.
//
// Timing: lookup is combinational (outputs follow the lookup inputs and the
// current state in the same cycle, before that cycle's edge); every state
// change (fill, invalidation, the replacement update of a lookup hit)
// happens at the rising clock edge. rst_ni is asynchronous, active low.
//
// Priority when requests coincide in one cycle: invalidation > fill >
// replacement update of a lookup hit.
//   inv_valid_i:  the invalidation happens; a fill and a hit's touch of the
//                 same cycle are dropped (fill_ready_o = touch_ready_o = 0).
//   fill_valid_i: the fill happens and touches the way it writes; a lookup
//                 hit of the same cycle still answers (from the state before
//                 the edge) but does not touch (touch_ready_o = 0).
//   A lookup alone: a hit touches its way.
// The lookup answer never depends on the fill or invalidation of its own
// cycle. The C model applies one operation at a time, so the co-simulation
// gives a cycle one operation, or checks these rules by hand.
//
// Replacement (REPL = 0: LRU, 1: tree-PLRU), identical to the C model:
//   LRU: an age per way, a permutation of 0..WAYS-1 (0 = most recent),
//     reset age[w] = w; touching w ages every younger way by one and makes
//     w 0; the victim is the way of age WAYS-1.
//   tree-PLRU: per set a tree over LEAVES = next power of two >= WAYS
//     (at least 2), nodes heap-numbered 1..LEAVES-1 (bit n-1 of the set's
//     vector), reset 0; touching w points every node on its path away from
//     w; the victim follows the bits from the root (0 = left) but never into
//     a subtree whose leaves are all >= WAYS.
// A fill writes the lowest way that co-matches it (same VPN, and same PCID
// or either global) and invalidates the other co-matching ways; without
// one, the lowest invalid way; without one, the policy's victim.
module tlb_array #(
  parameter int unsigned SETS       = 16,
  parameter int unsigned WAYS       = 4,
  parameter int unsigned PAGE_SHIFT = 12,               // 12, 21 or 30
  parameter int unsigned VPN_W      = 48 - PAGE_SHIFT,  // 57 - PAGE_SHIFT under LA57
  parameter int unsigned PFN_W      = 40,
  parameter int unsigned PCID_W     = 12,
  parameter int unsigned REPL       = 0,
  // derived
  parameter int unsigned SET_W      = (SETS > 1) ? $clog2(SETS) : 1,
  parameter int unsigned WAY_W      = (WAYS > 1) ? $clog2(WAYS) : 1,
  parameter int unsigned LEAVES     = (WAYS > 2) ? (1 << $clog2(WAYS)) : 2
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
  output logic              touch_ready_o,  // a hit this cycle touches its way
  // fill
  input  logic              fill_valid_i,
  input  logic [VPN_W-1:0]  fill_vpn_i,
  input  logic [PCID_W-1:0] fill_pcid_i,
  input  logic              fill_global_i,
  input  logic [2:0]        fill_perm_i,
  input  logic              fill_dirty_i,
  input  logic [PFN_W-1:0]  fill_pfn_i,
  output logic              fill_ready_o,   // a fill this cycle takes effect
  output logic [WAY_W-1:0]  fill_way_o,     // the way the fill writes
  // invalidation
  input  logic              inv_valid_i,
  input  logic [2:0]        inv_op_i,       // Inv* encoding below
  input  logic [PCID_W-1:0] inv_pcid_i,
  input  logic [VPN_W-1:0]  inv_vpn_i,      // INVLPG, INVPCID_ADDR: VA >> PAGE_SHIFT
  // debug read port (full-contents comparison); combinational
  input  logic [SET_W-1:0]  dbg_set_i,
  input  logic [WAY_W-1:0]  dbg_way_i,
  output logic              dbg_valid_o,
  output logic [VPN_W-1:0]  dbg_vpn_o,
  output logic [PCID_W-1:0] dbg_pcid_o,
  output logic              dbg_global_o,
  output logic [2:0]        dbg_perm_o,
  output logic              dbg_dirty_o,
  output logic [PFN_W-1:0]  dbg_pfn_o,
  output logic [WAY_W-1:0]  dbg_victim_o    // the victim of set dbg_set_i
);

  // Invalidation operations: tlb_pkg's inv_op_e (model/hw/tlb.h, enum
  // tlb_op_kind, in order), named here as there.
  localparam logic [2:0] InvFlushPcid      = tlb_pkg::InvFlushPcid;       // non-global entries of one PCID
  localparam logic [2:0] InvInvlpg         = tlb_pkg::InvInvlpg;          // one page: that PCID, and globals
  localparam logic [2:0] InvInvpcidAddr    = tlb_pkg::InvInvpcidAddr;     // one page: that PCID, non-global
  localparam logic [2:0] InvFlushAll       = tlb_pkg::InvFlushAll;        // everything
  localparam logic [2:0] InvFlushNonGlobal = tlb_pkg::InvFlushNonGlobal;  // everything but globals

  localparam int unsigned NODES = LEAVES - 1;

  // ---- state: one row per set ----
  logic [WAYS-1:0]        valid_q  [0:SETS-1];
  logic [WAYS*VPN_W-1:0]  vpn_q    [0:SETS-1];
  logic [WAYS*PCID_W-1:0] pcid_q   [0:SETS-1];
  logic [WAYS-1:0]        global_q [0:SETS-1];
  logic [WAYS*3-1:0]      perm_q   [0:SETS-1];
  logic [WAYS-1:0]        dirty_q  [0:SETS-1];
  logic [WAYS*PFN_W-1:0]  pfn_q    [0:SETS-1];
  logic [WAYS*WAY_W-1:0]  age_q    [0:SETS-1];  // LRU: way w's age in bits [w*WAY_W +: WAY_W]
  logic [NODES-1:0]       tree_q   [0:SETS-1];  // tree-PLRU: node n in bit n-1

  // Narrows a loop index (always below WAYS) to a way number.
  function automatic logic [WAY_W-1:0] way_of(input integer n);
    way_of = n[WAY_W-1:0];
  endfunction

  // ---- replacement functions, on one set's state ----
  function automatic logic [WAY_W-1:0] lru_victim(input logic [WAYS*WAY_W-1:0] ages);
    integer v;
    lru_victim = '0;
    for (v = 0; v < WAYS; v = v + 1) begin
      if (ages[v*WAY_W +: WAY_W] == way_of(WAYS - 1)) lru_victim = way_of(v);
    end
  endfunction

  function automatic logic [WAYS*WAY_W-1:0] lru_touch(input logic [WAYS*WAY_W-1:0] ages,
                                                    input logic [WAY_W-1:0] way);
    integer v;
    logic [WAY_W-1:0] mine;
    mine = '0;
    for (v = 0; v < WAYS; v = v + 1) begin
      if (way_of(v) == way) mine = ages[v*WAY_W +: WAY_W];
    end
    lru_touch = ages;
    for (v = 0; v < WAYS; v = v + 1) begin
      if (way_of(v) == way) lru_touch[v*WAY_W +: WAY_W] = '0;
      else if (ages[v*WAY_W +: WAY_W] < mine)
        lru_touch[v*WAY_W +: WAY_W] = ages[v*WAY_W +: WAY_W] + 1'b1;
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

  // ---- lookup: one row, WAYS comparisons ----
  logic [SET_W-1:0] lookup_set;
  assign lookup_set = (SETS > 1) ? lookup_vpn_i[SET_W-1:0] : '0;

  logic [WAYS-1:0]        lk_valid, lk_global, lk_dirty;
  logic [WAYS*VPN_W-1:0]  lk_vpn;
  logic [WAYS*PCID_W-1:0] lk_pcid;
  logic [WAYS*3-1:0]      lk_perm;
  logic [WAYS*PFN_W-1:0]  lk_pfn;
  assign lk_valid  = valid_q[lookup_set];
  assign lk_global = global_q[lookup_set];
  assign lk_dirty  = dirty_q[lookup_set];
  assign lk_vpn    = vpn_q[lookup_set];
  assign lk_pcid   = pcid_q[lookup_set];
  assign lk_perm   = perm_q[lookup_set];
  assign lk_pfn    = pfn_q[lookup_set];

  logic [WAYS-1:0]  lookup_match;
  logic [WAY_W-1:0] lookup_way;
  logic [WAY_W:0]   lookup_count;
  logic [PFN_W-1:0] lookup_pfn;
  logic [2:0]       lookup_perm;
  logic             lookup_dirty;
  integer lw;
  always_comb begin
    lookup_match = '0;
    lookup_way = '0;
    lookup_count = '0;
    lookup_pfn = '0;
    lookup_perm = '0;
    lookup_dirty = 1'b0;
    for (lw = 0; lw < WAYS; lw = lw + 1) begin
      lookup_match[lw] = lk_valid[lw] && lk_vpn[lw*VPN_W +: VPN_W] == lookup_vpn_i &&
                         (lk_pcid[lw*PCID_W +: PCID_W] == lookup_pcid_i ||
                          (lk_global[lw] && lookup_pge_i));
    end
    // the lowest matching way answers, as the C model's search does
    for (lw = WAYS - 1; lw >= 0; lw = lw - 1) begin
      if (lookup_match[lw]) begin
        lookup_way = way_of(lw);
        lookup_count = lookup_count + 1'b1;
        lookup_pfn = lk_pfn[lw*PFN_W +: PFN_W];
        lookup_perm = lk_perm[lw*3 +: 3];
        lookup_dirty = lk_dirty[lw];
      end
    end
  end

  assign hit_o         = lookup_valid_i && (|lookup_match);
  assign hit_way_o     = lookup_way;
  assign hit_pfn_o     = lookup_pfn;
  assign hit_perm_o    = lookup_perm;
  assign hit_dirty_o   = lookup_dirty;
  assign needs_walk_o  = hit_o && lookup_write_i && !lookup_dirty;
  assign multi_hit_o   = lookup_valid_i && (lookup_count > 1);
  assign fill_ready_o  = !inv_valid_i;
  assign touch_ready_o = !inv_valid_i && !fill_valid_i;

  // ---- fill: conflicts in one row, the written way, the new row ----
  logic [SET_W-1:0] fill_set;
  assign fill_set = (SETS > 1) ? fill_vpn_i[SET_W-1:0] : '0;

  logic [WAYS-1:0]        fl_valid, fl_global, fl_dirty;
  logic [WAYS*VPN_W-1:0]  fl_vpn;
  logic [WAYS*PCID_W-1:0] fl_pcid;
  logic [WAYS*3-1:0]      fl_perm;
  logic [WAYS*PFN_W-1:0]  fl_pfn;
  assign fl_valid  = valid_q[fill_set];
  assign fl_global = global_q[fill_set];
  assign fl_dirty  = dirty_q[fill_set];
  assign fl_vpn    = vpn_q[fill_set];
  assign fl_pcid   = pcid_q[fill_set];
  assign fl_perm   = perm_q[fill_set];
  assign fl_pfn    = pfn_q[fill_set];

  logic [WAYS-1:0]  fill_conflict;
  logic [WAY_W-1:0] first_conflict, first_invalid;
  integer fw;
  always_comb begin
    fill_conflict = '0;
    first_conflict = '0;
    first_invalid = '0;
    for (fw = 0; fw < WAYS; fw = fw + 1) begin
      fill_conflict[fw] = fl_valid[fw] && fl_vpn[fw*VPN_W +: VPN_W] == fill_vpn_i &&
                          (fl_pcid[fw*PCID_W +: PCID_W] == fill_pcid_i ||
                           fl_global[fw] || fill_global_i);
    end
    for (fw = WAYS - 1; fw >= 0; fw = fw - 1) begin
      if (fill_conflict[fw]) first_conflict = way_of(fw);
      if (!fl_valid[fw]) first_invalid = way_of(fw);
    end
  end

  logic [WAY_W-1:0] fill_victim;
  assign fill_victim = (REPL == 0) ? lru_victim(age_q[fill_set]) : plru_victim(tree_q[fill_set]);

  always_comb begin
    if (|fill_conflict) fill_way_o = first_conflict;
    else if (!(&fl_valid)) fill_way_o = first_invalid;
    else fill_way_o = fill_victim;
  end

  // the fill set's row after the fill: the chosen way written, the other
  // conflicting ways invalid
  logic [WAYS-1:0]        fl_valid_d, fl_global_d, fl_dirty_d;
  logic [WAYS*VPN_W-1:0]  fl_vpn_d;
  logic [WAYS*PCID_W-1:0] fl_pcid_d;
  logic [WAYS*3-1:0]      fl_perm_d;
  logic [WAYS*PFN_W-1:0]  fl_pfn_d;
  integer dw;
  always_comb begin
    fl_valid_d = fl_valid & ~fill_conflict;
    fl_global_d = fl_global;
    fl_dirty_d = fl_dirty;
    fl_vpn_d = fl_vpn;
    fl_pcid_d = fl_pcid;
    fl_perm_d = fl_perm;
    fl_pfn_d = fl_pfn;
    for (dw = 0; dw < WAYS; dw = dw + 1) begin
      if (way_of(dw) == fill_way_o) begin
        fl_valid_d[dw] = 1'b1;
        fl_global_d[dw] = fill_global_i;
        fl_dirty_d[dw] = fill_dirty_i;
        fl_vpn_d[dw*VPN_W +: VPN_W] = fill_vpn_i;
        fl_pcid_d[dw*PCID_W +: PCID_W] = fill_pcid_i;
        fl_perm_d[dw*3 +: 3] = fill_perm_i;
        fl_pfn_d[dw*PFN_W +: PFN_W] = fill_pfn_i;
      end
    end
  end

  // ---- invalidation: which entries go (set s, way w: bit s*WAYS+w) ----
  // The page operations look only at the page's set; the others at all.
  logic [SET_W-1:0] inv_set;
  assign inv_set = (SETS > 1) ? inv_vpn_i[SET_W-1:0] : '0;

  logic [WAYS*SETS-1:0]   inv_kill;
  logic [WAYS-1:0]        iv_global;
  logic [WAYS*VPN_W-1:0]  iv_vpn;
  logic [WAYS*PCID_W-1:0] iv_pcid;
  logic                   iv_same_pcid, iv_page;
  integer is, iw;
  always_comb begin
    inv_kill = '0;
    iv_global = '0;
    iv_vpn = '0;
    iv_pcid = '0;
    iv_same_pcid = 1'b0;
    iv_page = 1'b0;
    for (is = 0; is < SETS; is = is + 1) begin
      iv_global = global_q[is];
      iv_vpn = vpn_q[is];
      iv_pcid = pcid_q[is];
      for (iw = 0; iw < WAYS; iw = iw + 1) begin
        iv_same_pcid = iv_pcid[iw*PCID_W +: PCID_W] == inv_pcid_i;
        iv_page = inv_set == is[SET_W-1:0] && iv_vpn[iw*VPN_W +: VPN_W] == inv_vpn_i;
        unique case (inv_op_i)
          InvFlushPcid:      inv_kill[is*WAYS + iw] = iv_same_pcid && !iv_global[iw];
          InvInvlpg:         inv_kill[is*WAYS + iw] = iv_page && (iv_global[iw] || iv_same_pcid);
          InvInvpcidAddr:    inv_kill[is*WAYS + iw] = iv_page && !iv_global[iw] && iv_same_pcid;
          InvFlushAll:       inv_kill[is*WAYS + iw] = 1'b1;
          InvFlushNonGlobal: inv_kill[is*WAYS + iw] = !iv_global[iw];
          default:           inv_kill[is*WAYS + iw] = 1'b0;
        endcase
      end
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

  // LRU reset: age[w] = w
  logic [WAYS*WAY_W-1:0] age_reset;
  integer rw;
  always_comb begin
    age_reset = '0;
    for (rw = 0; rw < WAYS; rw = rw + 1) age_reset[rw*WAY_W +: WAY_W] = way_of(rw);
  end

  // ---- state update: one register row per set ----
  for (genvar gs = 0; gs < SETS; gs++) begin : g_set
    logic inv_row, fill_row, touch_row;
    assign inv_row   = inv_valid_i;
    assign fill_row  = fill_valid_i && fill_set == gs[SET_W-1:0];
    assign touch_row = touch_en && touch_set == gs[SET_W-1:0];

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        valid_q[gs]  <= '0;
        vpn_q[gs]    <= '0;
        pcid_q[gs]   <= '0;
        global_q[gs] <= '0;
        perm_q[gs]   <= '0;
        dirty_q[gs]  <= '0;
        pfn_q[gs]    <= '0;
      end else if (inv_row) begin
        valid_q[gs] <= valid_q[gs] & ~inv_kill[gs*WAYS +: WAYS];
      end else if (fill_row) begin
        valid_q[gs]  <= fl_valid_d;
        vpn_q[gs]    <= fl_vpn_d;
        pcid_q[gs]   <= fl_pcid_d;
        global_q[gs] <= fl_global_d;
        perm_q[gs]   <= fl_perm_d;
        dirty_q[gs]  <= fl_dirty_d;
        pfn_q[gs]    <= fl_pfn_d;
      end
    end

    // only the policy's own state is a register; the other is a constant
    if (REPL == 0) begin : g_lru
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) age_q[gs] <= age_reset;
        else if (touch_row) age_q[gs] <= lru_touch(age_q[gs], touch_way);
      end
      assign tree_q[gs] = '0;
    end else begin : g_plru
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) tree_q[gs] <= '0;
        else if (touch_row) tree_q[gs] <= plru_touch(tree_q[gs], touch_way);
      end
      assign age_q[gs] = age_reset;
    end
  end

  // ---- debug read port ----
  logic [WAYS-1:0]        db_valid, db_global, db_dirty;
  logic [WAYS*VPN_W-1:0]  db_vpn;
  logic [WAYS*PCID_W-1:0] db_pcid;
  logic [WAYS*3-1:0]      db_perm;
  logic [WAYS*PFN_W-1:0]  db_pfn;
  assign db_valid  = valid_q[dbg_set_i];
  assign db_global = global_q[dbg_set_i];
  assign db_dirty  = dirty_q[dbg_set_i];
  assign db_vpn    = vpn_q[dbg_set_i];
  assign db_pcid   = pcid_q[dbg_set_i];
  assign db_perm   = perm_q[dbg_set_i];
  assign db_pfn    = pfn_q[dbg_set_i];

  integer bw;
  always_comb begin
    dbg_valid_o = 1'b0;
    dbg_global_o = 1'b0;
    dbg_dirty_o = 1'b0;
    dbg_vpn_o = '0;
    dbg_pcid_o = '0;
    dbg_perm_o = '0;
    dbg_pfn_o = '0;
    for (bw = 0; bw < WAYS; bw = bw + 1) begin
      if (way_of(bw) == dbg_way_i) begin
        dbg_valid_o = db_valid[bw];
        dbg_global_o = db_global[bw];
        dbg_dirty_o = db_dirty[bw];
        dbg_vpn_o = db_vpn[bw*VPN_W +: VPN_W];
        dbg_pcid_o = db_pcid[bw*PCID_W +: PCID_W];
        dbg_perm_o = db_perm[bw*3 +: 3];
        dbg_pfn_o = db_pfn[bw*PFN_W +: PFN_W];
      end
    end
  end
  assign dbg_victim_o = (REPL == 0) ? lru_victim(age_q[dbg_set_i]) : plru_victim(tree_q[dbg_set_i]);

`ifdef FORMAL
  // Properties for Yosys `sat -tempinduct -prove-asserts` (rtl/formal):
  //  (a) at most one entry hits a lookup;
  //  (b) the cycle after an invalidation no entry it covers is still valid;
  //  (c) no two valid entries of a set co-match (same VPN, and same PCID or
  //      either global): what every fill keeps, and the reason for (a);
  //  and, to make induction close, every valid entry lives in its VPN's set.
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

  logic [WAYS-1:0]        f_valid, f_global;
  logic [WAYS*VPN_W-1:0]  f_vpn;
  logic [WAYS*PCID_W-1:0] f_pcid;
  integer fs, fa, fb;
  always_comb begin
    f_valid = '0;
    f_global = '0;
    f_vpn = '0;
    f_pcid = '0;
    fs = 0;  // loop variables assigned on every path: no latch
    fa = 0;
    fb = 0;
    if (rst_ni) begin
      assert (!multi_hit_o);                                             // (a)
      for (fs = 0; fs < SETS; fs = fs + 1) begin
        f_valid = valid_q[fs];
        f_global = global_q[fs];
        f_vpn = vpn_q[fs];
        f_pcid = pcid_q[fs];
        for (fa = 0; fa < WAYS; fa = fa + 1) begin
          if (SETS > 1 && f_valid[fa])
            assert (f_vpn[fa*VPN_W +: SET_W] == fs[SET_W-1:0]);
          for (fb = fa + 1; fb < WAYS; fb = fb + 1) begin                 // (c)
            assert (!(f_valid[fa] && f_valid[fb] &&
                      f_vpn[fa*VPN_W +: VPN_W] == f_vpn[fb*VPN_W +: VPN_W] &&
                      (f_pcid[fa*PCID_W +: PCID_W] == f_pcid[fb*PCID_W +: PCID_W] ||
                       f_global[fa] || f_global[fb])));
          end
          if (f_inv_q) begin                                              // (b)
            unique case (f_op_q)
              InvFlushPcid:
                assert (!(f_valid[fa] && f_pcid[fa*PCID_W +: PCID_W] == f_pcid_q &&
                          !f_global[fa]));
              InvInvlpg:
                assert (!(f_valid[fa] && f_vpn[fa*VPN_W +: VPN_W] == f_vpn_q &&
                          (f_global[fa] || f_pcid[fa*PCID_W +: PCID_W] == f_pcid_q)));
              InvInvpcidAddr:
                assert (!(f_valid[fa] && f_vpn[fa*VPN_W +: VPN_W] == f_vpn_q &&
                          !f_global[fa] && f_pcid[fa*PCID_W +: PCID_W] == f_pcid_q));
              InvFlushAll:
                assert (!f_valid[fa]);
              InvFlushNonGlobal:
                assert (!(f_valid[fa] && !f_global[fa]));
              default: ;
            endcase
          end
        end
      end
    end
  end
`endif

endmodule
