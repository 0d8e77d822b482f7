// tlb_array: one set-associative translation array tagged by PCID and G,
// the RTL twin of model/hw/tlb.c (rules in model/hw/tlb.h). One instance
// holds one page size (PageShift), so the C model's "same shift" test is
// always true here. Sets must be a power of two (1 gives a fully
// associative array): the set index, VPN mod Sets, is then the VPN's low
// bits, as in the C model.
//
// Storage is one row per set, row_q[s]: the set's Ways entries, each a
// tlb_pkg::tlb_entry_t, packed side by side (way w in bits
// [w*EntryW +: EntryW]); repl_q[s] is the set's replacement state
// (tlb_repl). A lookup, a fill and the debug port each read one row through
// a Sets:1 multiplexer and compare its Ways entries in parallel. The next
// state, row_d and repl_d, is computed in always_comb; the always_ff only
// latches it. The entry struct has the architectural field widths; an
// instance with narrower VPN, PFN or PCID stores zeros in the top bits,
// which synthesis removes (constant flip-flops).
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
// Replacement (Repl = tlb_pkg::ReplLru or ReplPlru) is tlb_repl's, identical
// to the C model's (rules in rtl/tlb_repl.sv). A fill writes the lowest way
// that co-matches it (same VPN, and same PCID or either global) and
// invalidates the other co-matching ways; without one, the lowest invalid
// way; without one, the policy's victim.
//
// Written for Debian's Yosys 0.23 as well as Verilator 5.006 (see
// rtl/tlb_pkg.sv): no arrays of structs, so a row is a vector read into and
// written from module-level struct variables, one per always_comb.
module tlb_array #(
  parameter int unsigned Sets      = 16,
  parameter int unsigned Ways      = 4,
  parameter int unsigned PageShift = 12,              // 12, 21 or 30
  parameter int unsigned VpnW      = 48 - PageShift,  // 57 - PageShift under LA57
  parameter int unsigned PfnW      = 40,              // at most tlb_pkg::PfnW
  parameter int unsigned PcidW     = 12,              // at most tlb_pkg::PcidW
  parameter int unsigned Repl      = tlb_pkg::ReplLru,
  // derived
  parameter int unsigned SetW      = (Sets > 1) ? $clog2(Sets) : 1,
  parameter int unsigned WayW      = (Ways > 1) ? $clog2(Ways) : 1,
  parameter int unsigned Leaves    = (Ways > 2) ? (1 << $clog2(Ways)) : 2,
  parameter int unsigned ReplW     = (Repl == tlb_pkg::ReplLru) ? Ways * WayW : Leaves - 1
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  // lookup
  input  logic              lookup_valid_i,
  input  logic [VpnW-1:0]   lookup_vpn_i,
  input  logic [PcidW-1:0]  lookup_pcid_i,
  input  logic              lookup_pge_i,
  input  logic              lookup_write_i,
  output logic              hit_o,
  output logic [WayW-1:0]   hit_way_o,
  output logic [PfnW-1:0]   hit_pfn_o,
  output logic [2:0]        hit_perm_o,     // {XD, U, W}
  output logic              hit_dirty_o,
  output logic              needs_walk_o,   // a write hitting a clean entry
  output logic              multi_hit_o,    // checker: never 1
  output logic              touch_ready_o,  // a hit this cycle touches its way
  // fill
  input  logic              fill_valid_i,
  input  logic [VpnW-1:0]   fill_vpn_i,
  input  logic [PcidW-1:0]  fill_pcid_i,
  input  logic              fill_global_i,
  input  logic [2:0]        fill_perm_i,
  input  logic              fill_dirty_i,
  input  logic [PfnW-1:0]   fill_pfn_i,
  output logic              fill_ready_o,   // a fill this cycle takes effect
  output logic [WayW-1:0]   fill_way_o,     // the way the fill writes
  // invalidation
  input  logic              inv_valid_i,
  input  tlb_pkg::inv_op_e  inv_op_i,
  input  logic [PcidW-1:0]  inv_pcid_i,
  input  logic [VpnW-1:0]   inv_vpn_i,      // INVLPG, INVPCID_ADDR: VA >> PageShift
  // debug read port (full-contents comparison); combinational
  input  logic [SetW-1:0]   dbg_set_i,
  input  logic [WayW-1:0]   dbg_way_i,
  output logic              dbg_valid_o,
  output logic [VpnW-1:0]   dbg_vpn_o,
  output logic [PcidW-1:0]  dbg_pcid_o,
  output logic              dbg_global_o,
  output logic [2:0]        dbg_perm_o,
  output logic              dbg_dirty_o,
  output logic [PfnW-1:0]   dbg_pfn_o,
  output logic [WayW-1:0]   dbg_victim_o    // the victim of set dbg_set_i
);

  localparam int unsigned EntryW   = tlb_pkg::TlbEntryW;
  localparam int unsigned RowW     = Ways * EntryW;
  localparam int unsigned VpnMaxW  = tlb_pkg::VpnMaxW;
  localparam int unsigned PfnMaxW  = tlb_pkg::PfnW;
  localparam int unsigned PcidMaxW = tlb_pkg::PcidW;

  // The replacement state at reset as a constant, for the flip-flops' reset
  // value (tlb_repl's reset_o is a signal until flattening).
  localparam logic [tlb_pkg::ReplMaxW-1:0] ReplResetMax = tlb_pkg::repl_reset(Ways, WayW, Repl);
  localparam logic [ReplW-1:0] ReplReset = ReplResetMax[ReplW-1:0];

  // ---- state: one row of Ways entries and one replacement state per set ----
  logic [RowW-1:0]  row_q  [Sets];
  logic [RowW-1:0]  row_d  [Sets];
  logic [ReplW-1:0] repl_q [Sets];
  logic [ReplW-1:0] repl_d [Sets];

  // ---- the inputs at the entry's field widths ----
  logic [VpnMaxW-1:0]  lookup_vpn, fill_vpn, inv_vpn;
  logic [PcidMaxW-1:0] lookup_pcid, fill_pcid, inv_pcid;
  assign lookup_vpn  = VpnMaxW'(lookup_vpn_i);
  assign fill_vpn    = VpnMaxW'(fill_vpn_i);
  assign inv_vpn     = VpnMaxW'(inv_vpn_i);
  assign lookup_pcid = PcidMaxW'(lookup_pcid_i);
  assign fill_pcid   = PcidMaxW'(fill_pcid_i);
  assign inv_pcid    = PcidMaxW'(inv_pcid_i);

  logic [SetW-1:0] lookup_set, fill_set, inv_set;
  assign lookup_set = (Sets > 1) ? lookup_vpn_i[SetW-1:0] : '0;
  assign fill_set   = (Sets > 1) ? fill_vpn_i[SetW-1:0] : '0;
  assign inv_set    = (Sets > 1) ? inv_vpn_i[SetW-1:0] : '0;

  // ---- lookup: one row, Ways comparisons; the lowest matching way answers ----
  logic [RowW-1:0]     lookup_row;
  tlb_pkg::tlb_entry_t lookup_e, lookup_hit_e;
  logic [Ways-1:0]     lookup_match;
  logic [WayW-1:0]     lookup_way;
  logic [WayW:0]       lookup_count;
  assign lookup_row = row_q[lookup_set];

  always_comb begin
    lookup_match = '0;
    lookup_way   = '0;
    lookup_count = '0;
    lookup_hit_e = '0;
    lookup_e     = '0;
    for (int w = Ways - 1; w >= 0; w--) begin
      lookup_e = lookup_row[w*EntryW +: EntryW];
      lookup_match[w] = tlb_pkg::tlb_hits(lookup_e.valid, lookup_e.vpn == lookup_vpn,
                                          lookup_e.pcid == lookup_pcid, lookup_e.global,
                                          lookup_pge_i);
      if (lookup_match[w]) begin
        lookup_way   = WayW'(w);
        lookup_count = lookup_count + 1'b1;
        lookup_hit_e = lookup_e;
      end
    end
  end

  assign hit_o         = lookup_valid_i && (|lookup_match);
  assign hit_way_o     = lookup_way;
  assign hit_pfn_o     = lookup_hit_e.pfn[PfnW-1:0];
  assign hit_perm_o    = lookup_hit_e.perm;
  assign hit_dirty_o   = lookup_hit_e.dirty;
  assign needs_walk_o  = hit_o && lookup_write_i && !lookup_hit_e.dirty;
  assign multi_hit_o   = lookup_valid_i && (lookup_count > 1);
  assign fill_ready_o  = !inv_valid_i;
  assign touch_ready_o = !inv_valid_i && !fill_valid_i;

  // ---- fill: conflicts in one row, the written way, the new row ----
  logic [RowW-1:0]     fill_row, fill_row_d;
  logic [ReplW-1:0]    fill_repl;
  tlb_pkg::tlb_entry_t fill_e, fill_new_e;
  logic [Ways-1:0]     fill_conflict, fill_invalid;
  logic [WayW-1:0]     first_conflict, first_invalid, fill_victim;
  assign fill_row  = row_q[fill_set];
  assign fill_repl = repl_q[fill_set];

  tlb_repl #(.Ways(Ways), .Repl(Repl)) u_repl_fill (
    .state_i  (fill_repl),
    .way_i    ('0),
    .state_o  (),
    .victim_o (fill_victim),
    .reset_o  ()
  );

  always_comb begin
    fill_new_e        = '0;
    fill_new_e.valid  = 1'b1;
    fill_new_e.global = fill_global_i;
    fill_new_e.size   = tlb_pkg::Page4K;
    fill_new_e.pcid   = fill_pcid;
    fill_new_e.vpn    = fill_vpn;
    fill_new_e.pfn    = PfnMaxW'(fill_pfn_i);
    fill_new_e.perm   = fill_perm_i;
    fill_new_e.dirty  = fill_dirty_i;
  end

  always_comb begin
    fill_conflict  = '0;
    fill_invalid   = '0;
    first_conflict = '0;
    first_invalid  = '0;
    fill_e         = '0;
    for (int w = Ways - 1; w >= 0; w--) begin
      fill_e = fill_row[w*EntryW +: EntryW];
      fill_conflict[w] = tlb_pkg::tlb_conflicts(fill_e.valid, fill_e.vpn == fill_vpn,
                                                fill_e.pcid == fill_pcid, fill_e.global,
                                                fill_global_i);
      fill_invalid[w] = !fill_e.valid;
      if (fill_conflict[w]) first_conflict = WayW'(w);
      if (fill_invalid[w]) first_invalid = WayW'(w);
    end
    if (|fill_conflict) fill_way_o = first_conflict;
    else if (|fill_invalid) fill_way_o = first_invalid;
    else fill_way_o = fill_victim;
    // the row after the fill: the chosen way written, the other conflicts invalid
    fill_row_d = fill_row;
    for (int w = 0; w < Ways; w++) begin
      fill_e = fill_row[w*EntryW +: EntryW];
      if (fill_conflict[w]) fill_e.valid = 1'b0;
      if (fill_way_o == WayW'(w)) fill_e = fill_new_e;
      // Bits above the instance's widths are always zero; saying so here,
      // where rows of other sets pass, lets synthesis drop their flip-flops.
      fill_e.vpn  = VpnMaxW'(fill_e.vpn[VpnW-1:0]);
      fill_e.pcid = PcidMaxW'(fill_e.pcid[PcidW-1:0]);
      fill_e.pfn  = PfnMaxW'(fill_e.pfn[PfnW-1:0]);
      fill_row_d[w*EntryW +: EntryW] = fill_e;
    end
  end

  // ---- the touch of this cycle: which set and way, if any ----
  logic             touch_en;
  logic [SetW-1:0]  touch_set;
  logic [WayW-1:0]  touch_way;
  logic [ReplW-1:0] touch_repl, touch_repl_d;
  always_comb begin
    touch_en  = 1'b0;
    touch_set = lookup_set;
    touch_way = lookup_way;
    if (!inv_valid_i && fill_valid_i) begin
      touch_en  = 1'b1;
      touch_set = fill_set;
      touch_way = fill_way_o;
    end else if (!inv_valid_i && hit_o) begin
      touch_en = 1'b1;
    end
  end
  assign touch_repl = repl_q[touch_set];

  tlb_repl #(.Ways(Ways), .Repl(Repl)) u_repl_touch (
    .state_i  (touch_repl),
    .way_i    (touch_way),
    .state_o  (touch_repl_d),
    .victim_o (),
    .reset_o  ()
  );

  // ---- next state: invalidation > fill; the touch updates one set ----
  // The page operations look only at the page's set; the others at all.
  tlb_pkg::tlb_entry_t inv_e;
  always_comb begin
    inv_e = '0;
    for (int s = 0; s < Sets; s++) begin
      row_d[s]  = row_q[s];
      repl_d[s] = repl_q[s];
      if (inv_valid_i) begin
        for (int w = 0; w < Ways; w++) begin
          inv_e = row_q[s][w*EntryW +: EntryW];
          if (tlb_pkg::inv_kills(inv_op_i,
                                 inv_set == SetW'(s) && inv_e.vpn == inv_vpn,
                                 inv_e.pcid == inv_pcid, inv_e.global)) begin
            inv_e.valid = 1'b0;
          end
          row_d[s][w*EntryW +: EntryW] = inv_e;
        end
      end else if (fill_valid_i && fill_set == SetW'(s)) begin
        row_d[s] = fill_row_d;
      end
      if (touch_en && touch_set == SetW'(s)) repl_d[s] = touch_repl_d;
    end
  end

  for (genvar s = 0; s < Sets; s++) begin : g_set
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        row_q[s]  <= '0;
        repl_q[s] <= ReplReset;
      end else begin
        row_q[s]  <= row_d[s];
        repl_q[s] <= repl_d[s];
      end
    end
  end

  // ---- debug read port ----
  logic [RowW-1:0]     dbg_row;
  logic [ReplW-1:0]    dbg_repl;
  tlb_pkg::tlb_entry_t dbg_e;
  assign dbg_row  = row_q[dbg_set_i];
  assign dbg_repl = repl_q[dbg_set_i];

  always_comb begin
    dbg_e = '0;
    for (int w = 0; w < Ways; w++) begin
      if (dbg_way_i == WayW'(w)) dbg_e = dbg_row[w*EntryW +: EntryW];
    end
  end
  assign dbg_valid_o  = dbg_e.valid;
  assign dbg_vpn_o    = dbg_e.vpn[VpnW-1:0];
  assign dbg_pcid_o   = dbg_e.pcid[PcidW-1:0];
  assign dbg_global_o = dbg_e.global;
  assign dbg_perm_o   = dbg_e.perm;
  assign dbg_dirty_o  = dbg_e.dirty;
  assign dbg_pfn_o    = dbg_e.pfn[PfnW-1:0];

  tlb_repl #(.Ways(Ways), .Repl(Repl)) u_repl_dbg (
    .state_i  (dbg_repl),
    .way_i    ('0),
    .state_o  (),
    .victim_o (dbg_victim_o),
    .reset_o  ()
  );

`ifdef FORMAL
  // Properties for Yosys `sat -tempinduct -prove-asserts` (rtl/formal):
  //  (a) at most one entry hits a lookup;
  //  (b) the cycle after an invalidation no entry it covers is still valid
  //      (each code's rule spelled out here, not tlb_pkg::inv_kills);
  //  (c) no two valid entries of a set co-match (same VPN, and same PCID or
  //      either global): what every fill keeps, and the reason for (a);
  //  and, to make induction close, every valid entry lives in its VPN's set
  //  and (d) every entry's bits above the instance's VPN, PCID and PFN
  //  widths are zero.
  logic                f_inv_q;
  tlb_pkg::inv_op_e    f_op_q;
  logic [PcidMaxW-1:0] f_pcid_q;
  logic [VpnMaxW-1:0]  f_vpn_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      f_inv_q  <= 1'b0;
      f_op_q   <= tlb_pkg::InvFlushPcid;
      f_pcid_q <= '0;
      f_vpn_q  <= '0;
    end else begin
      f_inv_q  <= inv_valid_i;
      f_op_q   <= inv_op_i;
      f_pcid_q <= inv_pcid;
      f_vpn_q  <= inv_vpn;
    end
  end

  tlb_pkg::tlb_entry_t f_a, f_b;
  logic [RowW-1:0]     f_row;
  always_comb begin
    f_a = '0;
    f_b = '0;
    f_row = '0;
    if (rst_ni) begin
      assert (!multi_hit_o);                                              // (a)
      for (int s = 0; s < Sets; s++) begin
        f_row = row_q[s];
        for (int a = 0; a < Ways; a++) begin
          f_a = f_row[a*EntryW +: EntryW];
          if (Sets > 1 && f_a.valid) assert (f_a.vpn[SetW-1:0] == SetW'(s));
          assert (f_a.vpn == VpnMaxW'(f_a.vpn[VpnW-1:0]) &&                   // (d)
                  f_a.pcid == PcidMaxW'(f_a.pcid[PcidW-1:0]) &&
                  f_a.pfn == PfnMaxW'(f_a.pfn[PfnW-1:0]));
          for (int b = a + 1; b < Ways; b++) begin                        // (c)
            f_b = f_row[b*EntryW +: EntryW];
            assert (!(f_a.valid && f_b.valid && f_a.vpn == f_b.vpn &&
                      (f_a.pcid == f_b.pcid || f_a.global || f_b.global)));
          end
          if (f_inv_q) begin                                               // (b)
            unique case (f_op_q)
              tlb_pkg::InvFlushPcid: begin
                assert (!(f_a.valid && f_a.pcid == f_pcid_q && !f_a.global));
              end
              tlb_pkg::InvInvlpg: begin
                assert (!(f_a.valid && f_a.vpn == f_vpn_q &&
                          (f_a.global || f_a.pcid == f_pcid_q)));
              end
              tlb_pkg::InvInvpcidAddr: begin
                assert (!(f_a.valid && f_a.vpn == f_vpn_q && !f_a.global &&
                          f_a.pcid == f_pcid_q));
              end
              tlb_pkg::InvFlushAll: begin
                assert (!f_a.valid);
              end
              tlb_pkg::InvFlushNonGlobal: begin
                assert (!(f_a.valid && !f_a.global));
              end
              default: ;
            endcase
          end
        end
      end
    end
  end
`endif

endmodule
