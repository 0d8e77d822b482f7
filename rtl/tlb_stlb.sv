// tlb_stlb: the shared second-level TLB (STLB), the RTL twin of
// model/hw/mmu.c's m->stlb: one set-associative array of model/hw/tlb.c
// (rules in model/hw/tlb.h) holding 4 KiB and 2 MiB entries side by side.
// Each entry carries its page size (tlb_pkg::page_size_e) and its VPN of
// that size (VA >> 12 or VA >> 21); an entry of either size lives in the
// set of its own VPN, set = VPN mod Sets, and a lookup, fill or page
// invalidation of a size compares only entries of that size.
//
// Every address input is VA >> 12 (`*_vpn_i`); the module derives the
// 2 MiB VPN as VA >> 21 = vpn >> 9. Sets may be any number from 1 (a power
// of two takes the VPN's low bits; another number VPN mod Sets, as the C
// model's tlb_set_of).
//
//   Lookup (mmu.c lookup): the 4 KiB page of the VA first, then, only if
//     it misses, the 2 MiB page, each as tlb.c's lookup (valid, same size
//     and VPN, same PCID or global with PGE). The size that answers is the
//     only one touched. lookup_sizes_i selects the sizes searched (bit
//     tlb_pkg::Page4K, bit Page2M): both is the MMU's STLB lookup; one
//     alone is one tlb_lookup of that page shift (what the C array's hook
//     reports as one operation).
//   Fill (tlb.c fill) of either size, in the set of its own VPN: the valid
//     entries of that size and VPN whose PCID is the new one's, or that are
//     global, or when the new one is global, conflict; the lowest
//     conflicting way is written and the other conflicting ways invalidated;
//     without one, the lowest invalid way; without one, the victim. Entries
//     of the other size are never conflicts. The written way is touched.
//   Invalidation (tlb_pkg::inv_op_e, rule tlb_pkg::inv_kills): the page
//     operations (InvInvlpg, InvInvpcidAddr) remove, as tlb.c's
//     invalidate_page does for each page size the array holds, the 4 KiB
//     entries of VPN inv_vpn_i in its set and the 2 MiB entries of VPN
//     inv_vpn_i >> 9 in theirs; the others look at every entry whatever its
//     size. Invalidations never touch the replacement state.
//   Replacement: one tlb_repl state per set, shared by both sizes.
//
// Same style, timing and priority as tlb_array (see there): rows are
// row_q[s], the set's Ways tlb_pkg::tlb_entry_t side by side (way w in bits
// [w*EntryW +: EntryW]); the next state row_d / repl_d comes from
// always_comb and the always_ff only latches it; lookup is combinational,
// every change happens at the rising edge, rst_ni is asynchronous, active
// low; invalidation > fill > the touch of a lookup hit.
module tlb_stlb #(
  parameter int unsigned Sets  = 16,    // any number from 1
  parameter int unsigned Ways  = 4,
  parameter int unsigned VpnW  = 36,    // VA >> 12: 36 (48-bit VA), 45 under LA57
  parameter int unsigned PfnW  = 40,    // at most tlb_pkg::PfnW
  parameter int unsigned PcidW = 12,    // at most tlb_pkg::PcidW
  parameter int unsigned Repl  = tlb_pkg::ReplLru,
  // derived
  parameter int unsigned SetW   = (Sets > 1) ? $clog2(Sets) : 1,
  parameter int unsigned WayW   = (Ways > 1) ? $clog2(Ways) : 1,
  parameter int unsigned Leaves = (Ways > 2) ? (1 << $clog2(Ways)) : 2,
  parameter int unsigned ReplW  = (Repl == tlb_pkg::ReplLru) ? Ways * WayW : Leaves - 1
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  // lookup
  input  logic               lookup_valid_i,
  input  logic [1:0]         lookup_sizes_i,  // sizes searched: bit 0 4 KiB, bit 1 2 MiB
  input  logic [VpnW-1:0]    lookup_vpn_i,    // VA >> 12
  input  logic [PcidW-1:0]   lookup_pcid_i,
  input  logic               lookup_pge_i,
  input  logic               lookup_write_i,
  output logic               hit_o,
  output tlb_pkg::page_size_e hit_size_o,     // the size that answered
  output logic [SetW-1:0]    hit_set_o,       // its set (VPN of that size mod Sets)
  output logic [WayW-1:0]    hit_way_o,
  output logic [PfnW-1:0]    hit_pfn_o,
  output logic [2:0]         hit_perm_o,      // {XD, U, W}
  output logic               hit_dirty_o,
  output logic               hit_global_o,    // the entry's G and PCID: what an
  output logic [PcidW-1:0]   hit_pcid_o,      // STLB-to-L1 copy writes
  output logic               needs_walk_o,    // a write hitting a clean entry
  output logic               multi_hit_o,     // checker: never 1 (per size)
  output logic               touch_ready_o,   // a hit this cycle touches its way
  // fill
  input  logic               fill_valid_i,
  input  tlb_pkg::page_size_e fill_size_i,
  input  logic [VpnW-1:0]    fill_vpn_i,      // VA >> 12 (2 MiB: bits [8:0] ignored)
  input  logic [PcidW-1:0]   fill_pcid_i,
  input  logic               fill_global_i,
  input  logic [2:0]         fill_perm_i,
  input  logic               fill_dirty_i,
  input  logic [PfnW-1:0]    fill_pfn_i,
  output logic               fill_ready_o,    // a fill this cycle takes effect
  output logic [SetW-1:0]    fill_set_o,      // the set the fill writes
  output logic [WayW-1:0]    fill_way_o,      // the way the fill writes
  // invalidation
  input  logic               inv_valid_i,
  input  tlb_pkg::inv_op_e   inv_op_i,
  input  logic [PcidW-1:0]   inv_pcid_i,
  input  logic [VpnW-1:0]    inv_vpn_i,       // InvInvlpg, InvInvpcidAddr: VA >> 12
  // debug read port (full-contents comparison); combinational
  input  logic [SetW-1:0]    dbg_set_i,
  input  logic [WayW-1:0]    dbg_way_i,
  output logic               dbg_valid_o,
  output tlb_pkg::page_size_e dbg_size_o,
  output logic [VpnW-1:0]    dbg_vpn_o,       // the entry's VPN: VA >> its page shift
  output logic [PcidW-1:0]   dbg_pcid_o,
  output logic               dbg_global_o,
  output logic [2:0]         dbg_perm_o,
  output logic               dbg_dirty_o,
  output logic [PfnW-1:0]    dbg_pfn_o,
  output logic [WayW-1:0]    dbg_victim_o,    // the victim of set dbg_set_i
  output logic [ReplW-1:0]   dbg_repl_o       // the replacement state of set dbg_set_i
);

  localparam int unsigned EntryW   = tlb_pkg::TlbEntryW;
  localparam int unsigned RowW     = Ways * EntryW;
  localparam int unsigned VpnMaxW  = tlb_pkg::VpnMaxW;
  localparam int unsigned PfnMaxW  = tlb_pkg::PfnW;
  localparam int unsigned PcidMaxW = tlb_pkg::PcidW;
  localparam bit          Pow2     = (Sets & (Sets - 1)) == 0;
  // 2 MiB VPN = 4 KiB VPN >> 9
  localparam int unsigned Shift2M  = 9;

  // The replacement state at reset as a constant (see tlb_array).
  localparam logic [tlb_pkg::ReplMaxW-1:0] ReplResetMax = tlb_pkg::repl_reset(Ways, WayW, Repl);
  localparam logic [ReplW-1:0] ReplReset = ReplResetMax[ReplW-1:0];

  // The set of a VPN (model/hw/tlb.h tlb_set_of): its low bits when Sets is
  // a power of two, else VPN mod Sets.
  function automatic logic [SetW-1:0] set_of(input logic [VpnMaxW-1:0] vpn);
    if (Sets == 1) set_of = '0;
    else if (Pow2) set_of = vpn[SetW-1:0];
    else set_of = SetW'(vpn % VpnMaxW'(Sets));
  endfunction

  // ---- state: one row of Ways entries and one replacement state per set ----
  logic [RowW-1:0]  row_q  [Sets];
  logic [RowW-1:0]  row_d  [Sets];
  logic [ReplW-1:0] repl_q [Sets];
  logic [ReplW-1:0] repl_d [Sets];

  // ---- the inputs at the entry's field widths; each size's VPN and set ----
  logic [VpnMaxW-1:0]  lookup_vpn4k, lookup_vpn2m, fill_vpn4k, fill_vpn, inv_vpn4k, inv_vpn2m;
  logic [PcidMaxW-1:0] lookup_pcid, fill_pcid, inv_pcid;
  assign lookup_vpn4k = VpnMaxW'(lookup_vpn_i);
  assign lookup_vpn2m = lookup_vpn4k >> Shift2M;
  assign fill_vpn4k   = VpnMaxW'(fill_vpn_i);
  assign fill_vpn     = (fill_size_i == tlb_pkg::Page2M) ? fill_vpn4k >> Shift2M : fill_vpn4k;
  assign inv_vpn4k    = VpnMaxW'(inv_vpn_i);
  assign inv_vpn2m    = inv_vpn4k >> Shift2M;
  assign lookup_pcid  = PcidMaxW'(lookup_pcid_i);
  assign fill_pcid    = PcidMaxW'(fill_pcid_i);
  assign inv_pcid     = PcidMaxW'(inv_pcid_i);

  logic [SetW-1:0] lookup_set4k, lookup_set2m, fill_set, inv_set4k, inv_set2m;
  assign lookup_set4k = set_of(lookup_vpn4k);
  assign lookup_set2m = set_of(lookup_vpn2m);
  assign fill_set     = set_of(fill_vpn);
  assign inv_set4k    = set_of(inv_vpn4k);
  assign inv_set2m    = set_of(inv_vpn2m);

  // ---- lookup: each size's row, Ways comparisons each; 4 KiB answers first ----
  logic [RowW-1:0]     lookup_row4k, lookup_row2m;
  tlb_pkg::tlb_entry_t lookup_e, lookup_hit4k_e, lookup_hit2m_e, lookup_hit_e;
  logic [Ways-1:0]     lookup_match4k, lookup_match2m;
  logic [WayW-1:0]     lookup_way4k, lookup_way2m;
  logic [WayW:0]       lookup_count4k, lookup_count2m;
  logic                lookup_hit4k, lookup_hit2m;
  assign lookup_row4k = row_q[lookup_set4k];
  assign lookup_row2m = row_q[lookup_set2m];

  always_comb begin
    lookup_match4k = '0;
    lookup_match2m = '0;
    lookup_way4k   = '0;
    lookup_way2m   = '0;
    lookup_count4k = '0;
    lookup_count2m = '0;
    lookup_hit4k_e = '0;
    lookup_hit2m_e = '0;
    lookup_e       = '0;
    for (int w = Ways - 1; w >= 0; w--) begin
      lookup_e = lookup_row4k[w*EntryW +: EntryW];
      lookup_match4k[w] = lookup_sizes_i[tlb_pkg::Page4K] &&
                          tlb_pkg::tlb_hits(lookup_e.valid, lookup_e.size == tlb_pkg::Page4K &&
                                            lookup_e.vpn == lookup_vpn4k,
                                            lookup_e.pcid == lookup_pcid, lookup_e.global,
                                            lookup_pge_i);
      if (lookup_match4k[w]) begin
        lookup_way4k   = WayW'(w);
        lookup_count4k = lookup_count4k + 1'b1;
        lookup_hit4k_e = lookup_e;
      end
      lookup_e = lookup_row2m[w*EntryW +: EntryW];
      lookup_match2m[w] = lookup_sizes_i[tlb_pkg::Page2M] &&
                          tlb_pkg::tlb_hits(lookup_e.valid, lookup_e.size == tlb_pkg::Page2M &&
                                            lookup_e.vpn == lookup_vpn2m,
                                            lookup_e.pcid == lookup_pcid, lookup_e.global,
                                            lookup_pge_i);
      if (lookup_match2m[w]) begin
        lookup_way2m   = WayW'(w);
        lookup_count2m = lookup_count2m + 1'b1;
        lookup_hit2m_e = lookup_e;
      end
    end
  end
  assign lookup_hit4k = |lookup_match4k;
  assign lookup_hit2m = |lookup_match2m;
  assign lookup_hit_e = lookup_hit4k ? lookup_hit4k_e : lookup_hit2m_e;

  assign hit_o         = lookup_valid_i && (lookup_hit4k || lookup_hit2m);
  assign hit_size_o    = lookup_hit4k ? tlb_pkg::Page4K : tlb_pkg::Page2M;
  assign hit_set_o     = lookup_hit4k ? lookup_set4k : lookup_set2m;
  assign hit_way_o     = lookup_hit4k ? lookup_way4k : lookup_way2m;
  assign hit_pfn_o     = lookup_hit_e.pfn[PfnW-1:0];
  assign hit_perm_o    = lookup_hit_e.perm;
  assign hit_dirty_o   = lookup_hit_e.dirty;
  assign hit_global_o  = lookup_hit_e.global;
  assign hit_pcid_o    = lookup_hit_e.pcid[PcidW-1:0];
  assign needs_walk_o  = hit_o && lookup_write_i && !lookup_hit_e.dirty;
  assign multi_hit_o   = lookup_valid_i && (lookup_count4k > 1 || lookup_count2m > 1);
  assign fill_ready_o  = !inv_valid_i;
  assign touch_ready_o = !inv_valid_i && !fill_valid_i;

  // ---- fill: conflicts of its size in its set, the written way, the new row ----
  logic [RowW-1:0]     fill_row, fill_row_d;
  logic [ReplW-1:0]    fill_repl;
  tlb_pkg::tlb_entry_t fill_e, fill_new_e;
  logic [Ways-1:0]     fill_conflict, fill_invalid;
  logic [WayW-1:0]     first_conflict, first_invalid, fill_victim;
  assign fill_row   = row_q[fill_set];
  assign fill_repl  = repl_q[fill_set];
  assign fill_set_o = fill_set;

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
    fill_new_e.size   = fill_size_i;
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
      fill_conflict[w] = tlb_pkg::tlb_conflicts(fill_e.valid, fill_e.size == fill_size_i &&
                                                fill_e.vpn == fill_vpn,
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
      // bits above the instance's widths are always zero (see tlb_array)
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
    touch_set = hit_set_o;
    touch_way = hit_way_o;
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
  // A page operation's page is, for an entry, its size's VPN in its size's set.
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
                                 (inv_e.size == tlb_pkg::Page4K)
                                     ? (inv_set4k == SetW'(s) && inv_e.vpn == inv_vpn4k)
                                     : (inv_set2m == SetW'(s) && inv_e.vpn == inv_vpn2m),
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
  tlb_pkg::tlb_entry_t dbg_e;
  assign dbg_row    = row_q[dbg_set_i];
  assign dbg_repl_o = repl_q[dbg_set_i];

  always_comb begin
    dbg_e = '0;
    for (int w = 0; w < Ways; w++) begin
      if (dbg_way_i == WayW'(w)) dbg_e = dbg_row[w*EntryW +: EntryW];
    end
  end
  assign dbg_valid_o  = dbg_e.valid;
  assign dbg_size_o   = dbg_e.size;
  assign dbg_vpn_o    = dbg_e.vpn[VpnW-1:0];
  assign dbg_pcid_o   = dbg_e.pcid[PcidW-1:0];
  assign dbg_global_o = dbg_e.global;
  assign dbg_perm_o   = dbg_e.perm;
  assign dbg_dirty_o  = dbg_e.dirty;
  assign dbg_pfn_o    = dbg_e.pfn[PfnW-1:0];

  tlb_repl #(.Ways(Ways), .Repl(Repl)) u_repl_dbg (
    .state_i  (dbg_repl_o),
    .way_i    ('0),
    .state_o  (),
    .victim_o (dbg_victim_o),
    .reset_o  ()
  );

`ifdef FORMAL
  // Properties for Yosys `sat -tempinduct -prove-asserts` (rtl/formal,
  // prove_stlb.ys):
  //  (a) a lookup hits at most one entry of each size;
  //  (b) the cycle after an invalidation no entry it covers is still valid,
  //      of either size (each code's rule spelled out here, not
  //      tlb_pkg::inv_kills; the page operations' page is VA >> 12 for
  //      4 KiB entries and VA >> 21 for 2 MiB ones);
  //  (c) no two valid entries of a set co-match (same size and VPN, and
  //      same PCID or either global): what every fill keeps, and the reason
  //      for (a);
  //  (e) with LRU, each set's ages are a permutation of 0..Ways-1 (all
  //      below Ways and pairwise distinct), what the victim relies on;
  //  and, to make induction close, every valid entry lives in the set of
  //  its size's VPN and (d) every entry's bits above the instance's widths
  //  are zero: VPN width VpnW for 4 KiB entries, VpnW - 9 for 2 MiB ones.
  logic                f_inv_q;
  tlb_pkg::inv_op_e    f_op_q;
  logic [PcidMaxW-1:0] f_pcid_q;
  logic [VpnMaxW-1:0]  f_vpn4k_q, f_vpn2m_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      f_inv_q   <= 1'b0;
      f_op_q    <= tlb_pkg::InvFlushPcid;
      f_pcid_q  <= '0;
      f_vpn4k_q <= '0;
      f_vpn2m_q <= '0;
    end else begin
      f_inv_q   <= inv_valid_i;
      f_op_q    <= inv_op_i;
      f_pcid_q  <= inv_pcid;
      f_vpn4k_q <= inv_vpn4k;
      f_vpn2m_q <= inv_vpn2m;
    end
  end

  tlb_pkg::tlb_entry_t f_a, f_b;
  logic [RowW-1:0]     f_row;
  logic [ReplW-1:0]    f_repl;
  logic                f_page;
  always_comb begin
    f_a = '0;
    f_b = '0;
    f_row = '0;
    f_repl = '0;
    f_page = 1'b0;
    if (rst_ni) begin
      assert (!multi_hit_o);                                              // (a)
      for (int s = 0; s < Sets; s++) begin
        f_row = row_q[s];
        f_repl = repl_q[s];
        if (Repl == tlb_pkg::ReplLru) begin                               // (e)
          for (int a = 0; a < Ways; a++) begin
            assert ({1'b0, f_repl[a*WayW +: WayW]} < (WayW + 1)'(Ways));
            for (int b = a + 1; b < Ways; b++) begin
              assert (f_repl[a*WayW +: WayW] != f_repl[b*WayW +: WayW]);
            end
          end
        end
        for (int a = 0; a < Ways; a++) begin
          f_a = f_row[a*EntryW +: EntryW];
          if (f_a.valid) assert (set_of(f_a.vpn) == SetW'(s));
          assert (f_a.vpn == VpnMaxW'(f_a.vpn[VpnW-1:0]) &&                   // (d)
                  f_a.pcid == PcidMaxW'(f_a.pcid[PcidW-1:0]) &&
                  f_a.pfn == PfnMaxW'(f_a.pfn[PfnW-1:0]));
          if (f_a.size == tlb_pkg::Page2M) begin
            assert (f_a.vpn == VpnMaxW'(f_a.vpn[VpnW-Shift2M-1:0]));
          end
          for (int b = a + 1; b < Ways; b++) begin                        // (c)
            f_b = f_row[b*EntryW +: EntryW];
            assert (!(f_a.valid && f_b.valid && f_a.size == f_b.size && f_a.vpn == f_b.vpn &&
                      (f_a.pcid == f_b.pcid || f_a.global || f_b.global)));
          end
          f_page = (f_a.size == tlb_pkg::Page4K) ? f_a.vpn == f_vpn4k_q : f_a.vpn == f_vpn2m_q;
          if (f_inv_q) begin                                               // (b)
            unique case (f_op_q)
              tlb_pkg::InvFlushPcid: begin
                assert (!(f_a.valid && f_a.pcid == f_pcid_q && !f_a.global));
              end
              tlb_pkg::InvInvlpg: begin
                assert (!(f_a.valid && f_page && (f_a.global || f_a.pcid == f_pcid_q)));
              end
              tlb_pkg::InvInvpcidAddr: begin
                assert (!(f_a.valid && f_page && !f_a.global && f_a.pcid == f_pcid_q));
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
