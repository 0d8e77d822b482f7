// tlb_psc: one paging-structure cache (PSC) level, the RTL twin of one
// m->psc[level - 2] array of model/hw/walker.c (a tlb of model/hw/tlb.c
// used with non-global entries and lookups without PGE). An entry maps the
// VA bits that select a paging-structure entry of its level, the key
// VA >> KeyShift (21: PDE, 30: PDPTE, 39: PML4E, 48: PML5E), in one PCID,
// to the frame of the next table and the rights combined down to it.
// Entries are never global (SDM 4.10.3.1): a lookup matches the key and
// the PCID only. One instance per level; Sets a power of two (1: fully
// associative), the set index being the key's low bits.
//
// Same style, timing and priority as tlb_array (see there): lookup
// combinational, every change at the rising edge, rst_ni asynchronous;
// invalidation > fill > the touch of a lookup hit. Rows are row_q[s], the
// set's Ways tlb_pkg::psc_entry_t side by side; the next state row_d /
// repl_d comes from always_comb; replacement is tlb_repl's. A fill writes
// the lowest way holding the same key and PCID (invalidating any other
// such way), else the lowest invalid way, else the victim.
//
// Invalidations (tlb_pkg::inv_op_e, rule tlb_pkg::inv_kills with global
// = 0): InvFlushPcid removes the PCID's entries, InvInvlpg and
// InvInvpcidAddr the entry of key inv_key_i (VA >> KeyShift) in the PCID,
// InvFlushAll and InvFlushNonGlobal every entry. (INVLPGB's any-PCID page
// flush is not one of these codes: see docs/rtl.md.)
module tlb_psc #(
  parameter int unsigned Sets     = 8,
  parameter int unsigned Ways     = 4,
  parameter int unsigned KeyShift = 21,              // 21, 30, 39 or 48
  parameter int unsigned KeyW     = 57 - KeyShift,   // at most tlb_pkg::PscKeyMaxW
  parameter int unsigned PfnW     = 40,              // at most tlb_pkg::PfnW
  parameter int unsigned PcidW    = 12,              // at most tlb_pkg::PcidW
  parameter int unsigned Repl     = tlb_pkg::ReplLru,
  // derived
  parameter int unsigned SetW     = (Sets > 1) ? $clog2(Sets) : 1,
  parameter int unsigned WayW     = (Ways > 1) ? $clog2(Ways) : 1,
  parameter int unsigned Leaves   = (Ways > 2) ? (1 << $clog2(Ways)) : 2,
  parameter int unsigned ReplW    = (Repl == tlb_pkg::ReplLru) ? Ways * WayW : Leaves - 1
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  // lookup
  input  logic              lookup_valid_i,
  input  logic [KeyW-1:0]   lookup_key_i,
  input  logic [PcidW-1:0]  lookup_pcid_i,
  output logic              hit_o,
  output logic [WayW-1:0]   hit_way_o,
  output logic [PfnW-1:0]   hit_pfn_o,      // the next table's frame
  output logic [2:0]        hit_perm_o,     // {XD, U, W} combined down to it
  output logic              multi_hit_o,    // checker: never 1
  output logic              touch_ready_o,  // a hit this cycle touches its way
  // fill
  input  logic              fill_valid_i,
  input  logic [KeyW-1:0]   fill_key_i,
  input  logic [PcidW-1:0]  fill_pcid_i,
  input  logic [2:0]        fill_perm_i,
  input  logic [PfnW-1:0]   fill_pfn_i,
  output logic              fill_ready_o,   // a fill this cycle takes effect
  output logic [WayW-1:0]   fill_way_o,     // the way the fill writes
  // invalidation
  input  logic              inv_valid_i,
  input  tlb_pkg::inv_op_e  inv_op_i,
  input  logic [PcidW-1:0]  inv_pcid_i,
  input  logic [KeyW-1:0]   inv_key_i,      // InvInvlpg, InvInvpcidAddr: VA >> KeyShift
  // debug read port (full-contents comparison); combinational
  input  logic [SetW-1:0]   dbg_set_i,
  input  logic [WayW-1:0]   dbg_way_i,
  output logic              dbg_valid_o,
  output logic [KeyW-1:0]   dbg_key_o,
  output logic [PcidW-1:0]  dbg_pcid_o,
  output logic [2:0]        dbg_perm_o,
  output logic [PfnW-1:0]   dbg_pfn_o,
  output logic [WayW-1:0]   dbg_victim_o    // the victim of set dbg_set_i
);

  localparam int unsigned EntryW   = tlb_pkg::PscEntryW;
  localparam int unsigned RowW     = Ways * EntryW;
  localparam int unsigned KeyMaxW  = tlb_pkg::PscKeyMaxW;
  localparam int unsigned PfnMaxW  = tlb_pkg::PfnW;
  localparam int unsigned PcidMaxW = tlb_pkg::PcidW;

  // The replacement state at reset as a constant (see tlb_array).
  localparam logic [tlb_pkg::ReplMaxW-1:0] ReplResetMax = tlb_pkg::repl_reset(Ways, WayW, Repl);
  localparam logic [ReplW-1:0] ReplReset = ReplResetMax[ReplW-1:0];

  // ---- state: one row of Ways entries and one replacement state per set ----
  logic [RowW-1:0]  row_q  [Sets];
  logic [RowW-1:0]  row_d  [Sets];
  logic [ReplW-1:0] repl_q [Sets];
  logic [ReplW-1:0] repl_d [Sets];

  // ---- the inputs at the entry's field widths ----
  logic [KeyMaxW-1:0]  lookup_key, fill_key, inv_key;
  logic [PcidMaxW-1:0] lookup_pcid, fill_pcid, inv_pcid;
  assign lookup_key  = KeyMaxW'(lookup_key_i);
  assign fill_key    = KeyMaxW'(fill_key_i);
  assign inv_key     = KeyMaxW'(inv_key_i);
  assign lookup_pcid = PcidMaxW'(lookup_pcid_i);
  assign fill_pcid   = PcidMaxW'(fill_pcid_i);
  assign inv_pcid    = PcidMaxW'(inv_pcid_i);

  logic [SetW-1:0] lookup_set, fill_set, inv_set;
  assign lookup_set = (Sets > 1) ? lookup_key_i[SetW-1:0] : '0;
  assign fill_set   = (Sets > 1) ? fill_key_i[SetW-1:0] : '0;
  assign inv_set    = (Sets > 1) ? inv_key_i[SetW-1:0] : '0;

  // ---- lookup: one row, Ways comparisons; the lowest matching way answers ----
  logic [RowW-1:0]     lookup_row;
  tlb_pkg::psc_entry_t lookup_e, lookup_hit_e;
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
      lookup_match[w] = tlb_pkg::tlb_hits(lookup_e.valid, lookup_e.key == lookup_key,
                                          lookup_e.pcid == lookup_pcid, 1'b0, 1'b0);
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
  assign multi_hit_o   = lookup_valid_i && (lookup_count > 1);
  assign fill_ready_o  = !inv_valid_i;
  assign touch_ready_o = !inv_valid_i && !fill_valid_i;

  // ---- fill: conflicts in one row, the written way, the new row ----
  logic [RowW-1:0]     fill_row, fill_row_d;
  logic [ReplW-1:0]    fill_repl;
  tlb_pkg::psc_entry_t fill_e, fill_new_e;
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
    fill_new_e       = '0;
    fill_new_e.valid = 1'b1;
    fill_new_e.pcid  = fill_pcid;
    fill_new_e.key   = fill_key;
    fill_new_e.pfn   = PfnMaxW'(fill_pfn_i);
    fill_new_e.perm  = fill_perm_i;
  end

  always_comb begin
    fill_conflict  = '0;
    fill_invalid   = '0;
    first_conflict = '0;
    first_invalid  = '0;
    fill_e         = '0;
    for (int w = Ways - 1; w >= 0; w--) begin
      fill_e = fill_row[w*EntryW +: EntryW];
      fill_conflict[w] = tlb_pkg::tlb_conflicts(fill_e.valid, fill_e.key == fill_key,
                                                fill_e.pcid == fill_pcid, 1'b0, 1'b0);
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
      // bits above the instance's widths are always zero (see tlb_array)
      fill_e.key  = KeyMaxW'(fill_e.key[KeyW-1:0]);
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
  tlb_pkg::psc_entry_t inv_e;
  always_comb begin
    inv_e = '0;
    for (int s = 0; s < Sets; s++) begin
      row_d[s]  = row_q[s];
      repl_d[s] = repl_q[s];
      if (inv_valid_i) begin
        for (int w = 0; w < Ways; w++) begin
          inv_e = row_q[s][w*EntryW +: EntryW];
          if (tlb_pkg::inv_kills(inv_op_i,
                                 inv_set == SetW'(s) && inv_e.key == inv_key,
                                 inv_e.pcid == inv_pcid, 1'b0)) begin
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
  tlb_pkg::psc_entry_t dbg_e;
  assign dbg_row  = row_q[dbg_set_i];
  assign dbg_repl = repl_q[dbg_set_i];

  always_comb begin
    dbg_e = '0;
    for (int w = 0; w < Ways; w++) begin
      if (dbg_way_i == WayW'(w)) dbg_e = dbg_row[w*EntryW +: EntryW];
    end
  end
  assign dbg_valid_o = dbg_e.valid;
  assign dbg_key_o   = dbg_e.key[KeyW-1:0];
  assign dbg_pcid_o  = dbg_e.pcid[PcidW-1:0];
  assign dbg_perm_o  = dbg_e.perm;
  assign dbg_pfn_o   = dbg_e.pfn[PfnW-1:0];

  tlb_repl #(.Ways(Ways), .Repl(Repl)) u_repl_dbg (
    .state_i  (dbg_repl),
    .way_i    ('0),
    .state_o  (),
    .victim_o (dbg_victim_o),
    .reset_o  ()
  );

`ifdef FORMAL
  // Properties for Yosys `sat -tempinduct -prove-asserts` (rtl/formal), as
  // tlb_array's without globals:
  //  (a) at most one entry hits a lookup;
  //  (b) the cycle after an invalidation no entry it covers is still valid
  //      (each code's rule spelled out here, not tlb_pkg::inv_kills);
  //  (c) no two valid entries of a set have the same key and PCID;
  //  and, to make induction close, every valid entry lives in its key's set
  //  and (d) every entry's bits above the instance's widths are zero.
  logic                f_inv_q;
  tlb_pkg::inv_op_e    f_op_q;
  logic [PcidMaxW-1:0] f_pcid_q;
  logic [KeyMaxW-1:0]  f_key_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      f_inv_q  <= 1'b0;
      f_op_q   <= tlb_pkg::InvFlushPcid;
      f_pcid_q <= '0;
      f_key_q  <= '0;
    end else begin
      f_inv_q  <= inv_valid_i;
      f_op_q   <= inv_op_i;
      f_pcid_q <= inv_pcid;
      f_key_q  <= inv_key;
    end
  end

  tlb_pkg::psc_entry_t f_a, f_b;
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
          if (Sets > 1 && f_a.valid) assert (f_a.key[SetW-1:0] == SetW'(s));
          assert (f_a.key == KeyMaxW'(f_a.key[KeyW-1:0]) &&                 // (d)
                  f_a.pcid == PcidMaxW'(f_a.pcid[PcidW-1:0]) &&
                  f_a.pfn == PfnMaxW'(f_a.pfn[PfnW-1:0]));
          for (int b = a + 1; b < Ways; b++) begin                        // (c)
            f_b = f_row[b*EntryW +: EntryW];
            assert (!(f_a.valid && f_b.valid && f_a.key == f_b.key && f_a.pcid == f_b.pcid));
          end
          if (f_inv_q) begin                                               // (b)
            unique case (f_op_q)
              tlb_pkg::InvFlushPcid: begin
                assert (!(f_a.valid && f_a.pcid == f_pcid_q));
              end
              tlb_pkg::InvInvlpg: begin
                assert (!(f_a.valid && f_a.key == f_key_q && f_a.pcid == f_pcid_q));
              end
              tlb_pkg::InvInvpcidAddr: begin
                assert (!(f_a.valid && f_a.key == f_key_q && f_a.pcid == f_pcid_q));
              end
              tlb_pkg::InvFlushAll: begin
                assert (!f_a.valid);
              end
              tlb_pkg::InvFlushNonGlobal: begin
                assert (!f_a.valid);
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
