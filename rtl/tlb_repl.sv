// tlb_repl: the replacement state of one set, combinational: the state
// after touching a way, the victim, and the reset state. Shared by
// tlb_array, tlb_stlb and tlb_psc; the rules are model/hw/tlb.h's:
//
//   LRU (Repl = tlb_pkg::ReplLru): an age per way, a permutation of
//     0..Ways-1 (0 = most recent), way w's age in bits [w*WayW +: WayW];
//     reset age[w] = w; touching w ages every way younger than w by one and
//     makes w 0; the victim is the way of age Ways-1.
//   tree-PLRU (Repl = tlb_pkg::ReplPlru): a tree over Leaves = next power
//     of two >= Ways (at least 2), nodes heap-numbered 1..Leaves-1 (node n
//     in bit n-1), reset 0; touching w points every node on its path away
//     from w (1 = w is in its left half); the victim follows the bits from
//     the root (0 = left) but never into a subtree whose leaves are all
//     >= Ways.
module tlb_repl #(
  parameter int unsigned Ways   = 4,
  parameter int unsigned Repl   = tlb_pkg::ReplLru,
  // derived
  parameter int unsigned WayW   = (Ways > 1) ? $clog2(Ways) : 1,
  parameter int unsigned Leaves = (Ways > 2) ? (1 << $clog2(Ways)) : 2,
  parameter int unsigned StateW = (Repl == tlb_pkg::ReplLru) ? Ways * WayW : Leaves - 1
) (
  input  logic [StateW-1:0] state_i,
  input  logic [WayW-1:0]   way_i,     // the way to touch
  output logic [StateW-1:0] state_o,   // state_i with way_i touched
  output logic [WayW-1:0]   victim_o,  // state_i's victim
  output logic [StateW-1:0] reset_o    // the state at reset
);

  if (Repl == tlb_pkg::ReplLru) begin : g_lru
    logic [WayW-1:0] mine;
    always_comb begin
      mine = '0;
      for (int w = 0; w < Ways; w++) begin
        if (way_i == WayW'(w)) mine = state_i[w*WayW +: WayW];
      end
      state_o = state_i;
      victim_o = '0;
      reset_o = '0;
      for (int w = 0; w < Ways; w++) begin
        if (way_i == WayW'(w)) state_o[w*WayW +: WayW] = '0;
        else if (state_i[w*WayW +: WayW] < mine)
          state_o[w*WayW +: WayW] = state_i[w*WayW +: WayW] + 1'b1;
        if (state_i[w*WayW +: WayW] == WayW'(Ways - 1)) victim_o = WayW'(w);
        reset_o[w*WayW +: WayW] = WayW'(w);
      end
    end
  end else begin : g_plru
    localparam int unsigned Levels = $clog2(Leaves);
    // node, lowest leaf and span of the subtree at each level of the two walks
    always_comb begin
      int unsigned node, lo, span;
      logic        right, left;
      state_o = state_i;
      node = 1;
      lo = 0;
      span = Leaves;
      for (int l = 0; l < Levels; l++) begin
        span = span / 2;
        left = {{(32 - WayW){1'b0}}, way_i} < lo + span;
        state_o[node - 1] = left;  // point away from the touched way
        node = 2 * node + (left ? 0 : 1);
        if (!left) lo = lo + span;
      end
      node = 1;
      lo = 0;
      span = Leaves;
      for (int l = 0; l < Levels; l++) begin
        span = span / 2;
        right = state_i[node - 1];
        if (right && lo + span >= Ways) right = 1'b0;  // no real way there
        node = 2 * node + (right ? 1 : 0);
        if (right) lo = lo + span;
      end
      victim_o = WayW'(lo);
      reset_o = '0;
    end
  end

endmodule
