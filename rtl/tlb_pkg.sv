// tlb_pkg: what every TLB module shares: the invalidation codes, the
// replacement policies, the STLB's page sizes and the entry structs
// (model/hw/tlb.h is the specification; docs/rtl.md the port reference).
//
// Written for Debian's Yosys 0.23 as well as Verilator 5.006, which fixes
// some choices (each checked on both):
//  - modules name everything here as tlb_pkg::X (Yosys 0.23 has no
//    `import`), and the package's own function names its enum labels so;
//  - the entry structs have fixed, architectural field widths (a package
//    cannot take the modules' parameters); a module with narrower VPNs
//    stores zeros in the top bits, which synthesis removes (constant
//    flip-flops);
//  - a module never declares an array of these structs (Yosys 0.23 sizes a
//    packed array of structs as one element, and an unpacked one likewise):
//    a row is a flat vector of Ways entries, each read into and written
//    from a struct variable through `row[w*EntryW +: EntryW]`.
package tlb_pkg;

  // Architectural widths: PCID (SDM 4.10.1), frame number (MAXPHYADDR 52
  // minus the 4 KiB page offset), and the widest VPN (57-bit LA57 VA >> 12).
  localparam int unsigned PcidW   = 12;
  localparam int unsigned PfnW    = 40;
  localparam int unsigned VpnMaxW = 45;
  // The widest PSC key: VA >> 21 under LA57.
  localparam int unsigned PscKeyMaxW = 36;

  // Invalidation operations, in the order of model/hw/tlb.h's enum
  // tlb_op_kind (after LOOKUP and FILL). What each removes is
  // docs/semantics.md section 1.5 (SDM 4.10.4.1, SDM Vol.2 INVPCID).
  typedef enum logic [2:0] {
    InvFlushPcid      = 3'd0,  // non-global entries of one PCID (MOV CR3, INVPCID 1)
    InvInvlpg         = 3'd1,  // one page: that PCID, and global entries of it (INVLPG, #PF)
    InvInvpcidAddr    = 3'd2,  // one page: that PCID, non-global (INVPCID 0)
    InvFlushAll       = 3'd3,  // everything, globals too (MOV CR4, INVPCID 2)
    InvFlushNonGlobal = 3'd4   // everything but globals (INVPCID 3)
  } inv_op_e;

  // Replacement policies (model/hw/tlb.h, enum tlb_policy): the modules'
  // Repl parameter.
  localparam int unsigned ReplLru  = 0;
  localparam int unsigned ReplPlru = 1;

  // The STLB's two page sizes (model/hw/mmu.c: the STLB holds 4 KiB and
  // 2 MiB entries); the C model's entry.shift 12 or 21.
  typedef enum logic {
    Page4K = 1'b0,
    Page2M = 1'b1
  } page_size_e;

  // Combined rights of a translation (model/hw/tlb.h PERM_*: SDM 4.6).
  typedef struct packed {
    logic xd;  // PERM_XD, bit 2
    logic u;   // PERM_U, bit 1
    logic w;   // PERM_W, bit 0
  } perm_t;

  // One TLB entry (L1 arrays and STLB): model/hw/tlb.h's tlb_entry without
  // the checker's epoch. `size` is the STLB's page size (Page4K in an L1
  // array, whose page size is its parameter); vpn is VA >> page shift.
  typedef struct packed {
    logic               valid;
    logic               global;
    page_size_e         size;
    logic [PcidW-1:0]   pcid;
    logic [VpnMaxW-1:0] vpn;
    logic [PfnW-1:0]    pfn;
    perm_t              perm;
    logic               dirty;
  } tlb_entry_t;
  localparam int unsigned TlbEntryW = 1 + 1 + 1 + PcidW + VpnMaxW + PfnW + 3 + 1;

  // One paging-structure-cache entry (model/hw/walker.c): the VA bits that
  // select the cached table entry (VA >> key shift), the next table's frame
  // and the rights combined down to it. Never global (SDM 4.10.3.1: PSC
  // entries are PCID-tagged; G applies to translations only), no D.
  typedef struct packed {
    logic                  valid;
    logic [PcidW-1:0]      pcid;
    logic [PscKeyMaxW-1:0] key;
    logic [PfnW-1:0]       pfn;
    perm_t                 perm;
  } psc_entry_t;
  localparam int unsigned PscEntryW = 1 + PcidW + PscKeyMaxW + PfnW + 3;

  // The entry rules of model/hw/tlb.h, written once for tlb_array, tlb_stlb
  // and tlb_psc over the comparisons each module makes of one stored entry
  // (Yosys 0.23 reads no field of a struct argument, so the arguments are
  // the comparisons' results): `page` = same page size and VPN (a PSC: same
  // key), `same_pcid`, the entry's `global`.
  //   Lookup (tlb.c find): valid, the page, and the PCID or, with PGE
  //   (CR4.PGE), a global entry. SDM 4.10.2.4.
  function automatic logic tlb_hits(input logic valid, input logic page,
                                    input logic same_pcid, input logic global,
                                    input logic pge);
    tlb_hits = valid && page && (same_pcid || (global && pge));
  endfunction
  //   Fill conflict (tlb.c fill): a valid entry of the page whose PCID is
  //   the new entry's, or that is global, or when the new one is global.
  function automatic logic tlb_conflicts(input logic valid, input logic page,
                                         input logic same_pcid, input logic global,
                                         input logic new_global);
    tlb_conflicts = valid && page && (same_pcid || global || new_global);
  endfunction

  // One set's replacement state at reset (model/hw/tlb.h: LRU age[w] = w,
  // way w's age in bits [w*way_w +: way_w]; tree-PLRU all bits 0), as a
  // constant for the flip-flops' reset value, in the low bits of
  // ReplMaxW (at most 256 ways); tlb_repl's reset_o is the same state.
  localparam int unsigned ReplMaxW = 256 * 8;
  function automatic logic [ReplMaxW-1:0] repl_reset(input int unsigned ways,
                                                     input int unsigned way_w,
                                                     input int unsigned repl);
    repl_reset = '0;
    if (repl == ReplLru) begin
      for (int w = 0; w < ways; w++) repl_reset[w*way_w +: 8] = 8'(w);
    end
  endfunction

  // Whether invalidation `op` removes a valid entry: `page` (the entry is
  // the operation's page: same VPN and page size), `same_pcid`, `global`.
  // model/hw/tlb.c: tlb_flush_pcid, invalidate_page (tlb_invlpg,
  // tlb_invpcid_addr), tlb_flush_all, tlb_flush_nonglobal.
  function automatic logic inv_kills(input inv_op_e op, input logic page,
                                     input logic same_pcid, input logic global);
    unique case (op)
      tlb_pkg::InvFlushPcid:      inv_kills = same_pcid && !global;
      tlb_pkg::InvInvlpg:         inv_kills = page && (global || same_pcid);
      tlb_pkg::InvInvpcidAddr:    inv_kills = page && !global && same_pcid;
      tlb_pkg::InvFlushAll:       inv_kills = 1'b1;
      tlb_pkg::InvFlushNonGlobal: inv_kills = !global;
      default:                    inv_kills = 1'b0;
    endcase
  endfunction

endpackage
