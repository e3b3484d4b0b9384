//! Linear algebra behind one trait ([`LinearSolver`]): a dense LU for small
//! systems; for large ones block-Jacobi preconditioned GMRES
//! ([`BlockKrylov`], networks of cells joined by resistors, where a sparse
//! LU fills in) or faer's sparse LU ([`SparseLu`], COLAMD ordering, symbolic
//! analysis done once; chains and everything else). [`make_solver`] chooses.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::factor::PartialPivLuParams;
use faer::sparse::linalg::lu::{factorize_symbolic_lu, LuSymbolicParams, NumericLu, SymbolicLu};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Spec};

/// A square sparsity pattern in compressed sparse column form, with sorted
/// row indices. The values of a matrix with this pattern live in a separate
/// slice indexed by "slot" (position in `row_idx`).
#[derive(Debug, Clone)]
pub struct Pattern {
    /// Dimension.
    pub n: usize,
    /// Column pointers, `n + 1` entries.
    pub col_ptr: Vec<usize>,
    /// Row index of every slot.
    pub row_idx: Vec<usize>,
}

impl Pattern {
    /// Builds a pattern from `(row, col)` pairs (duplicates allowed) and
    /// returns, for every pair, its slot.
    pub fn from_pairs(n: usize, pairs: &[(usize, usize)]) -> (Pattern, Vec<usize>) {
        let mut sorted: Vec<(usize, usize)> = pairs.iter().map(|&(r, c)| (c, r)).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut col_ptr = vec![0usize; n + 1];
        let mut row_idx = Vec::with_capacity(sorted.len());
        for &(c, r) in &sorted {
            col_ptr[c + 1] += 1;
            row_idx.push(r);
        }
        for c in 0..n {
            col_ptr[c + 1] += col_ptr[c];
        }
        let pat = Pattern { n, col_ptr, row_idx };
        let slots = pairs.iter().map(|&(r, c)| pat.slot(r, c).unwrap_or(usize::MAX)).collect();
        (pat, slots)
    }

    /// The slot of entry `(row, col)`, if it is in the pattern.
    pub fn slot(&self, row: usize, col: usize) -> Option<usize> {
        let lo = self.col_ptr[col];
        let hi = self.col_ptr[col + 1];
        self.row_idx[lo..hi].binary_search(&row).ok().map(|k| lo + k)
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.row_idx.len()
    }

    /// `y = A x` for the matrix with values `vals`.
    pub fn mul(&self, vals: &[f64], x: &[f64], y: &mut [f64]) {
        y.iter_mut().for_each(|v| *v = 0.0);
        for (c, &xc) in x.iter().enumerate() {
            if xc == 0.0 {
                continue;
            }
            for k in self.col_ptr[c]..self.col_ptr[c + 1] {
                y[self.row_idx[k]] += vals[k] * xc;
            }
        }
    }
}

/// A linear solver for matrices of one fixed [`Pattern`].
pub trait LinearSolver: Send {
    /// Factors the matrix with the given slot values. On a singular matrix,
    /// returns the index of the column (unknown) without a usable pivot.
    fn factor(&mut self, pattern: &Pattern, vals: &[f64]) -> Result<(), usize>;
    /// Solves `A x = b` in place with the last factorization.
    fn solve(&mut self, b: &mut [f64]);
    /// A short name for statistics and logs.
    fn name(&self) -> &'static str;
    /// Iterations of an iterative solver so far (0 for direct solvers).
    fn iterations(&self) -> usize {
        0
    }
    /// The bytes a direct factorization this solver falls back to would
    /// have needed, when that was above its limit and it was refused.
    fn refused_bytes(&self) -> Option<u64> {
        None
    }
}

/// Dense LU with partial pivoting in preallocated storage (no allocation per
/// factorization; faster than a general library for the handful of unknowns
/// of a single cell).
#[derive(Debug, Clone)]
pub struct DenseLu {
    n: usize,
    a: Vec<f64>,
    perm: Vec<usize>,
    tmp: Vec<f64>,
}

impl DenseLu {
    /// A solver for `n` unknowns.
    pub fn new(n: usize) -> Self {
        DenseLu { n, a: vec![0.0; n * n], perm: vec![0; n], tmp: vec![0.0; n] }
    }
}

impl LinearSolver for DenseLu {
    fn factor(&mut self, pattern: &Pattern, vals: &[f64]) -> Result<(), usize> {
        let n = self.n;
        let a = &mut self.a;
        a.iter_mut().for_each(|v| *v = 0.0);
        // Row-major storage a[r * n + c].
        for c in 0..n {
            for k in pattern.col_ptr[c]..pattern.col_ptr[c + 1] {
                a[pattern.row_idx[k] * n + c] += vals[k];
            }
        }
        lu_in_place(a, n, &mut self.perm)
    }

    fn solve(&mut self, b: &mut [f64]) {
        let n = self.n;
        let x = &mut self.tmp[..n];
        for (t, &p) in x.iter_mut().zip(&self.perm) {
            *t = b[p];
        }
        lu_substitute(&self.a, n, x);
        b[..n].copy_from_slice(x);
    }

    fn name(&self) -> &'static str {
        "dense"
    }
}

/// Sparse LU from faer: fill-reducing column ordering and symbolic analysis
/// computed once for the pattern, numeric factorization (with partial
/// pivoting) per Jacobian.
pub struct SparseLu {
    n: usize,
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    symbolic: SymbolicLu<usize>,
    numeric: NumericLu<usize, f64>,
    factor_mem: MemBuffer,
    solve_mem: MemBuffer,
    factored: bool,
}

impl std::fmt::Debug for SparseLu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparseLu").field("n", &self.n).field("nnz", &self.row_idx.len()).finish()
    }
}

impl SparseLu {
    /// Symbolic analysis of `pattern`; `None` if faer refuses it (out of memory).
    pub fn new(pattern: &Pattern) -> Option<Self> {
        let n = pattern.n;
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &pattern.col_ptr, None, &pattern.row_idx);
        let symbolic = factorize_symbolic_lu(sym, LuSymbolicParams::default()).ok()?;
        let params: Spec<PartialPivLuParams, f64> = Default::default();
        let factor_req = symbolic.factorize_numeric_lu_scratch::<f64>(Par::Seq, params);
        let solve_req = symbolic.solve_in_place_scratch::<f64>(1, Par::Seq);
        Some(SparseLu {
            n,
            col_ptr: pattern.col_ptr.clone(),
            row_idx: pattern.row_idx.clone(),
            symbolic,
            numeric: NumericLu::new(),
            factor_mem: MemBuffer::try_new(factor_req).ok()?,
            solve_mem: MemBuffer::try_new(solve_req).ok()?,
            factored: false,
        })
    }
}

impl LinearSolver for SparseLu {
    fn factor(&mut self, _pattern: &Pattern, vals: &[f64]) -> Result<(), usize> {
        self.factored = false;
        if let Some(k) = vals.iter().position(|v| !v.is_finite()) {
            let col = self.col_ptr.partition_point(|&p| p <= k).saturating_sub(1);
            return Err(col);
        }
        let sym = SymbolicSparseColMatRef::new_checked(self.n, self.n, &self.col_ptr, None, &self.row_idx);
        let mat = SparseColMatRef::new(sym, vals);
        let stack = MemStack::new(&mut self.factor_mem);
        match self.symbolic.factorize_numeric_lu(&mut self.numeric, mat, Par::Seq, stack, Default::default())
        {
            Ok(_) => {
                self.factored = true;
                Ok(())
            }
            Err(e) => {
                let col = match e {
                    faer::sparse::linalg::LuError::SymbolicSingular { index } => index,
                    _ => 0,
                };
                Err(col.min(self.n.saturating_sub(1)))
            }
        }
    }

    fn solve(&mut self, b: &mut [f64]) {
        if !self.factored {
            return;
        }
        let lu = faer::sparse::linalg::lu::LuRef::new_unchecked(&self.symbolic, &self.numeric);
        let rhs = MatMut::from_column_major_slice_mut(b, self.n, 1);
        let stack = MemStack::new(&mut self.solve_mem);
        lu.solve_in_place_with_conj(Conj::No, rhs, Par::Seq, stack);
    }

    fn name(&self) -> &'static str {
        "sparse"
    }
}

/// Which linear solver a simulation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum SolverKind {
    /// Dense LU below the dense limit; above it, block-Jacobi GMRES when
    /// the circuit decomposes into small blocks coupled only by linear
    /// resistors and a sparse LU would fill in ([`BlockKrylov`]), else
    /// faer's sparse LU (the default).
    #[default]
    Auto,
    /// Dense LU whatever the size.
    Dense,
    /// faer's sparse LU whatever the structure.
    SparseLu,
    /// Block-Jacobi preconditioned GMRES when the circuit decomposes into
    /// blocks (else as [`SolverKind::Auto`]).
    BlockKrylov,
}

/// Largest block the block-Krylov solver accepts (unknowns).
pub const MAX_BLOCK: usize = 32;

/// Chooses the solver for `pattern`. `blocks` gives the block of every
/// unknown when the circuit decomposes into blocks coupled only by linear
/// resistors (see [`crate::mna::Mna::blocks`]).
///
/// # Errors
///
/// The bytes a direct factorization would need (the dense matrix, or the
/// sparse LU's entries as estimated by [`estimated_lu_entries`]) when they
/// exceed `max_bytes`.
pub fn make_solver(
    pattern: &Pattern,
    dense_limit: usize,
    blocks: Option<&[usize]>,
    kind: SolverKind,
    max_bytes: u64,
) -> Result<Box<dyn LinearSolver>, u64> {
    let n = pattern.n as u64;
    let dense = || {
        let bytes = n.saturating_mul(n).saturating_mul(8);
        if bytes > max_bytes {
            return Err(bytes);
        }
        Ok(Box::new(DenseLu::new(pattern.n)) as Box<dyn LinearSolver>)
    };
    let sparse = || {
        let bytes = sparse_lu_bytes(pattern);
        if bytes > max_bytes {
            return Err(bytes);
        }
        match SparseLu::new(pattern) {
            Some(s) => Ok(Box::new(s) as Box<dyn LinearSolver>),
            None => dense(),
        }
    };
    match kind {
        SolverKind::Dense => return dense(),
        SolverKind::SparseLu => return sparse(),
        SolverKind::Auto if pattern.n < dense_limit => return dense(),
        _ => {}
    }
    // The block-Krylov path pays a few GMRES iterations per solve; it wins
    // where the sparse LU fills in (measured in docs/performance.md: a
    // chain, whose LU stays as sparse as the matrix, is solved faster
    // directly; a random network fills in to ~30x and is not).
    let fills = || estimated_lu_entries(pattern).is_none_or(|e| e > FILL_LIMIT * pattern.nnz());
    if let Some(b) = blocks {
        if kind == SolverKind::BlockKrylov || fills() {
            if let Some(mut b) = BlockKrylov::new(pattern, b) {
                b.fallback_limit = max_bytes;
                return Ok(Box::new(b));
            }
        }
    }
    if pattern.n < dense_limit {
        return dense();
    }
    sparse()
}

/// The bytes a sparse LU of `pattern` is expected to take: the values and
/// row indices of `L + U` ([`estimated_lu_entries`]), twice over for the
/// partial pivoting's extra fill and faer's workspace.
pub fn sparse_lu_bytes(pattern: &Pattern) -> u64 {
    estimated_lu_entries(pattern).map_or(u64::MAX, |e| e as u64).saturating_mul(32)
}

/// Above this ratio of estimated LU entries to matrix entries, a
/// decomposable circuit is solved by block-Krylov ([`SolverKind::Auto`]).
pub const FILL_LIMIT: usize = 4;

/// The entries of `L + U` of a sparse LU of `pattern`, estimated by the
/// symbolic Cholesky factorization of the symmetrised pattern with an AMD
/// ordering (exact for structurally symmetric matrices factored without
/// pivoting); `None` if faer refuses it.
pub fn estimated_lu_entries(pattern: &Pattern) -> Option<usize> {
    use faer::sparse::linalg::cholesky::{factorize_symbolic_cholesky, SymmetricOrdering};
    let n = pattern.n;
    let mut pairs = Vec::with_capacity(2 * pattern.nnz());
    for c in 0..n {
        for k in pattern.col_ptr[c]..pattern.col_ptr[c + 1] {
            let r = pattern.row_idx[k];
            pairs.push((r, c));
            pairs.push((c, r));
        }
    }
    let (sym, _) = Pattern::from_pairs(n, &pairs);
    let mat = SymbolicSparseColMatRef::new_checked(n, n, &sym.col_ptr, None, &sym.row_idx);
    let chol =
        factorize_symbolic_cholesky(mat, faer::Side::Lower, SymmetricOrdering::Amd, Default::default())
            .ok()?;
    Some(2 * chol.len_val() - n)
}

/// In-place LU with partial pivoting of the row-major `n x n` matrix `a`.
/// Returns the first column without a usable pivot.
fn lu_in_place(a: &mut [f64], n: usize, perm: &mut [usize]) -> Result<(), usize> {
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    for (i, p) in perm.iter_mut().enumerate() {
        *p = i;
    }
    for k in 0..n {
        let mut piv = k;
        let mut best = a[k * n + k].abs();
        for r in k + 1..n {
            let v = a[r * n + k].abs();
            if v > best {
                best = v;
                piv = r;
            }
        }
        if !(best > scale * 1e-300) || !best.is_finite() {
            return Err(k);
        }
        if piv != k {
            for c in 0..n {
                a.swap(k * n + c, piv * n + c);
            }
            perm.swap(k, piv);
        }
        let d = 1.0 / a[k * n + k];
        for r in k + 1..n {
            let f = a[r * n + k] * d;
            if f != 0.0 {
                a[r * n + k] = f;
                for c in k + 1..n {
                    a[r * n + c] -= f * a[k * n + c];
                }
            } else {
                a[r * n + k] = 0.0;
            }
        }
    }
    Ok(())
}

/// Forward and back substitution with an [`lu_in_place`] factorization; `b`
/// already permuted.
#[inline]
fn lu_substitute(a: &[f64], n: usize, b: &mut [f64]) {
    let a = &a[..n * n];
    let b = &mut b[..n];
    for r in 0..n {
        let row = &a[r * n..r * n + r];
        let mut s = b[r];
        for (l, x) in row.iter().zip(&b[..r]) {
            s -= l * x;
        }
        b[r] = s;
    }
    for r in (0..n).rev() {
        let row = &a[r * n + r + 1..(r + 1) * n];
        let mut s = b[r];
        for (u, x) in row.iter().zip(&b[r + 1..]) {
            s -= u * x;
        }
        b[r] = s / a[r * n + r];
    }
}

/// Relative residual (2-norm) at which GMRES stops. The Newton iteration
/// stops when its correction is below 0.05 of the error tolerance; a linear
/// residual 1e-6 of the right-hand side changes the correction by far less
/// than that (the block-Jacobi-preconditioned operator is close to the
/// identity), so the Newton iterates, and the events, are those of an exact
/// solve to within the tolerances (checked against the sparse LU in the tests).
pub const GMRES_RTOL: f64 = 1e-6;
/// Krylov dimension; GMRES does not restart: a system that needs more falls
/// back to the sparse LU.
const GMRES_MAX: usize = 40;

/// Block-Jacobi preconditioned GMRES for circuits made of small blocks (the
/// few unknowns of a neuron cell) joined only by linear resistors. The
/// Jacobian is `M + C`: `M` the block-diagonal part (every entry whose row
/// and column lie in the same block, factored per block by a tiny dense LU)
/// and `C` the constant coupling conductances. With right preconditioning
/// the operator is `A M^-1 v = v + C (M^-1 v)`, so an iteration costs one
/// block solve and one product with the (few) coupling entries. No
/// allocation per factorization or solve. When a block is singular or GMRES
/// does not converge in 40 iterations (no restart), the system is solved by
/// faer's sparse LU instead (built on first need).
pub struct BlockKrylov {
    n: usize,
    /// Unknowns of block `b`: `idx[ptr[b]..ptr[b + 1]]`; GMRES works in
    /// this "block order" (position `p` holds unknown `idx[p]`).
    ptr: Vec<usize>,
    idx: Vec<usize>,
    /// Offset of block `b`'s dense `s x s` storage in `lu`.
    lu_ptr: Vec<usize>,
    lu: Vec<f64>,
    /// The inverse of every block, stored like `lu`.
    inv: Vec<f64>,
    /// Pivot permutation of every block (local indices), indexed like `idx`.
    perm: Vec<usize>,
    /// `(slot, position in lu)` of every in-block entry.
    block_slots: Vec<(usize, usize)>,
    /// Coupling entries in row-compressed form over block-order positions.
    c_ptr: Vec<usize>,
    c_col: Vec<usize>,
    c_slot: Vec<usize>,
    c_val: Vec<f64>,
    /// Krylov basis, `(GMRES_MAX + 1) x n`, row-major.
    basis: Vec<f64>,
    hess: Vec<f64>,
    cs: Vec<f64>,
    sn: Vec<f64>,
    g: Vec<f64>,
    w: Vec<f64>,
    z: Vec<f64>,
    saved: Vec<f64>,
    x: Vec<f64>,
    pattern: Pattern,
    vals: Vec<f64>,
    fallback: Option<SparseLu>,
    use_fallback: bool,
    /// Largest bytes the sparse-LU fallback may take.
    fallback_limit: u64,
    /// The fallback's estimated bytes, when they were above the limit.
    refused: Option<u64>,
    /// GMRES iterations so far.
    pub iterations: usize,
    /// Systems solved by the sparse-LU fallback so far.
    pub fallbacks: usize,
}

impl std::fmt::Debug for BlockKrylov {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockKrylov")
            .field("n", &self.n)
            .field("blocks", &(self.ptr.len() - 1))
            .field("coupling", &self.c_col.len())
            .finish()
    }
}

impl BlockKrylov {
    /// A solver for `pattern` with block `block[i]` for unknown `i`; `None`
    /// if there are fewer than two blocks or one exceeds [`MAX_BLOCK`].
    pub fn new(pattern: &Pattern, block: &[usize]) -> Option<Self> {
        let n = pattern.n;
        if block.len() != n || n == 0 {
            return None;
        }
        let nb = block.iter().copied().max()? + 1;
        if nb < 2 {
            return None;
        }
        let mut ptr = vec![0usize; nb + 1];
        for &b in block {
            ptr[b + 1] += 1;
        }
        for b in 0..nb {
            ptr[b + 1] += ptr[b];
        }
        if (0..nb).any(|b| ptr[b + 1] - ptr[b] > MAX_BLOCK || ptr[b + 1] == ptr[b]) {
            return None;
        }
        let mut idx = vec![0usize; n];
        let mut local = vec![0usize; n];
        let mut fill = ptr.clone();
        for (i, &b) in block.iter().enumerate() {
            local[i] = fill[b] - ptr[b];
            idx[fill[b]] = i;
            fill[b] += 1;
        }
        // Position of every unknown in block order.
        let mut pos = vec![0usize; n];
        for (p, &i) in idx.iter().enumerate() {
            pos[i] = p;
        }
        let mut lu_ptr = vec![0usize; nb + 1];
        for b in 0..nb {
            let s = ptr[b + 1] - ptr[b];
            lu_ptr[b + 1] = lu_ptr[b] + s * s;
        }
        let mut block_slots = Vec::new();
        let mut coupling: Vec<(usize, usize, usize)> = Vec::new();
        for c in 0..n {
            for k in pattern.col_ptr[c]..pattern.col_ptr[c + 1] {
                let r = pattern.row_idx[k];
                if block[r] == block[c] {
                    let b = block[r];
                    let s = ptr[b + 1] - ptr[b];
                    block_slots.push((k, lu_ptr[b] + local[r] * s + local[c]));
                } else {
                    coupling.push((pos[r], pos[c], k));
                }
            }
        }
        coupling.sort_unstable();
        let mut c_ptr = vec![0usize; n + 1];
        for &(r, _, _) in &coupling {
            c_ptr[r + 1] += 1;
        }
        for r in 0..n {
            c_ptr[r + 1] += c_ptr[r];
        }
        let c_col = coupling.iter().map(|x| x.1).collect();
        let c_slot: Vec<usize> = coupling.iter().map(|x| x.2).collect();
        let m = GMRES_MAX;
        Some(BlockKrylov {
            n,
            lu: vec![0.0; lu_ptr[nb]],
            inv: vec![0.0; lu_ptr[nb]],
            ptr,
            idx,
            lu_ptr,
            perm: vec![0; n],
            block_slots,
            c_ptr,
            c_col,
            c_val: vec![0.0; c_slot.len()],
            c_slot,
            basis: vec![0.0; (m + 1) * n],
            hess: vec![0.0; (m + 1) * m],
            cs: vec![0.0; m],
            sn: vec![0.0; m],
            g: vec![0.0; m + 1],
            w: vec![0.0; n],
            z: vec![0.0; n],
            saved: vec![0.0; n],
            x: vec![0.0; n],
            pattern: pattern.clone(),
            vals: vec![0.0; pattern.nnz()],
            fallback: None,
            use_fallback: false,
            fallback_limit: u64::MAX,
            refused: None,
            iterations: 0,
            fallbacks: 0,
        })
    }

    /// Number of blocks.
    pub fn blocks(&self) -> usize {
        self.ptr.len() - 1
    }

    /// `out = M^-1 v` in block order (products with the block inverses).
    fn precondition(&self, v: &[f64], out: &mut [f64]) {
        for b in 0..self.ptr.len() - 1 {
            let (lo, hi) = (self.ptr[b], self.ptr[b + 1]);
            let s = hi - lo;
            let inv = &self.inv[self.lu_ptr[b]..self.lu_ptr[b + 1]];
            let vb = &v[lo..hi];
            for (o, row) in out[lo..hi].iter_mut().zip(inv.chunks_exact(s)) {
                *o = row.iter().zip(vb).map(|(a, x)| a * x).sum();
            }
        }
    }

    /// `out += C x` (coupling entries only).
    fn couple_add(&self, x: &[f64], out: &mut [f64]) {
        for r in 0..self.n {
            let mut acc = 0.0;
            for k in self.c_ptr[r]..self.c_ptr[r + 1] {
                acc += self.c_val[k] * x[self.c_col[k]];
            }
            out[r] += acc;
        }
    }

    fn fallback_factor(&mut self) -> Result<(), usize> {
        if self.fallback.is_none() {
            let bytes = sparse_lu_bytes(&self.pattern);
            if bytes > self.fallback_limit {
                self.refused = Some(bytes);
                return Err(0);
            }
            self.fallback = SparseLu::new(&self.pattern);
        }
        match &mut self.fallback {
            Some(f) => {
                f.factor(&self.pattern, &self.vals)?;
                self.use_fallback = true;
                Ok(())
            }
            None => Err(0),
        }
    }

    /// GMRES on `A x = b` in block order; returns false when it did not converge.
    fn gmres(&mut self, b: &mut [f64]) -> bool {
        let n = self.n;
        let beta = b.iter().map(|v| v * v).sum::<f64>().sqrt();
        if beta == 0.0 {
            return true;
        }
        if !beta.is_finite() {
            return false;
        }
        let tol = GMRES_RTOL * beta;
        let m = GMRES_MAX;
        for (v, bi) in self.basis[..n].iter_mut().zip(b.iter()) {
            *v = bi / beta;
        }
        self.g.iter_mut().for_each(|v| *v = 0.0);
        self.g[0] = beta;
        let mut steps = 0;
        let mut converged = false;
        for j in 0..m {
            // w = A M^-1 v_j = v_j + C M^-1 v_j.
            let mut z = std::mem::take(&mut self.z);
            let mut w = std::mem::take(&mut self.w);
            self.precondition(&self.basis[j * n..(j + 1) * n], &mut z);
            w.copy_from_slice(&self.basis[j * n..(j + 1) * n]);
            self.couple_add(&z, &mut w);
            // Modified Gram-Schmidt.
            for i in 0..=j {
                let vi = &self.basis[i * n..(i + 1) * n];
                let h: f64 = vi.iter().zip(w.iter()).map(|(a, b)| a * b).sum();
                for (wk, vk) in w.iter_mut().zip(vi) {
                    *wk -= h * vk;
                }
                self.hess[i * m + j] = h;
            }
            let hn = w.iter().map(|v| v * v).sum::<f64>().sqrt();
            self.hess[(j + 1) * m + j] = hn;
            if hn > 0.0 {
                for (v, wk) in self.basis[(j + 1) * n..(j + 2) * n].iter_mut().zip(w.iter()) {
                    *v = wk / hn;
                }
            }
            self.z = z;
            self.w = w;
            // Apply the previous rotations and make a new one.
            for i in 0..j {
                let (a, bb) = (self.hess[i * m + j], self.hess[(i + 1) * m + j]);
                self.hess[i * m + j] = self.cs[i] * a + self.sn[i] * bb;
                self.hess[(i + 1) * m + j] = -self.sn[i] * a + self.cs[i] * bb;
            }
            let (a, bb) = (self.hess[j * m + j], self.hess[(j + 1) * m + j]);
            let r = a.hypot(bb);
            if !(r > 0.0) {
                break;
            }
            self.cs[j] = a / r;
            self.sn[j] = bb / r;
            self.hess[j * m + j] = r;
            self.hess[(j + 1) * m + j] = 0.0;
            self.g[j + 1] = -self.sn[j] * self.g[j];
            self.g[j] *= self.cs[j];
            steps = j + 1;
            if self.g[j + 1].abs() <= tol || hn == 0.0 {
                converged = true;
                break;
            }
        }
        self.iterations += steps;
        if !converged || steps == 0 {
            return false;
        }
        // Back substitution for the coefficients (kept in g).
        for i in (0..steps).rev() {
            let mut s = self.g[i];
            for k in i + 1..steps {
                s -= self.hess[i * m + k] * self.g[k];
            }
            self.g[i] = s / self.hess[i * m + i];
        }
        // x = M^-1 (V y).
        let mut w = std::mem::take(&mut self.w);
        w.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..steps {
            let y = self.g[i];
            for (wk, vk) in w.iter_mut().zip(&self.basis[i * n..(i + 1) * n]) {
                *wk += y * vk;
            }
        }
        self.precondition(&w, b);
        self.w = w;
        b.iter().all(|v| v.is_finite())
    }
}

impl LinearSolver for BlockKrylov {
    fn factor(&mut self, _pattern: &Pattern, vals: &[f64]) -> Result<(), usize> {
        self.use_fallback = false;
        self.vals.copy_from_slice(vals);
        if let Some(k) = vals.iter().position(|v| !v.is_finite()) {
            let col = self.pattern.col_ptr.partition_point(|&p| p <= k).saturating_sub(1);
            return Err(col);
        }
        self.lu.iter_mut().for_each(|v| *v = 0.0);
        for &(k, pos) in &self.block_slots {
            self.lu[pos] += vals[k];
        }
        for (v, &k) in self.c_val.iter_mut().zip(&self.c_slot) {
            *v = vals[k];
        }
        for b in 0..self.ptr.len() - 1 {
            let (lo, hi) = (self.ptr[b], self.ptr[b + 1]);
            let a = &mut self.lu[self.lu_ptr[b]..self.lu_ptr[b + 1]];
            let sz = hi - lo;
            let perm = &mut self.perm[lo..hi];
            if lu_in_place(a, sz, perm).is_err() {
                // A singular block (the coupling may still make the whole
                // matrix regular): solve directly.
                return self.fallback_factor();
            }
            // The explicit inverse, column by column: the preconditioner is
            // then a small dense product per block.
            let inv = &mut self.inv[self.lu_ptr[b]..self.lu_ptr[b + 1]];
            let mut col = [0.0f64; MAX_BLOCK];
            for c in 0..sz {
                for k in 0..sz {
                    col[k] = if perm[k] == c { 1.0 } else { 0.0 };
                }
                lu_substitute(a, sz, &mut col[..sz]);
                for r in 0..sz {
                    inv[r * sz + c] = col[r];
                }
            }
        }
        Ok(())
    }

    fn solve(&mut self, b: &mut [f64]) {
        if !self.use_fallback {
            self.saved.copy_from_slice(b);
            let mut x = std::mem::take(&mut self.x);
            for (xp, &i) in x.iter_mut().zip(&self.idx) {
                *xp = b[i];
            }
            let ok = self.gmres(&mut x);
            if ok {
                for (xp, &i) in x.iter().zip(&self.idx) {
                    b[i] = *xp;
                }
            }
            self.x = x;
            if ok {
                return;
            }
            // Not converged: restore the right-hand side, solve directly.
            b.copy_from_slice(&self.saved);
            self.fallbacks += 1;
            if self.fallback_factor().is_err() {
                b.iter_mut().for_each(|v| *v = f64::NAN);
                return;
            }
        }
        if let Some(f) = &mut self.fallback {
            f.solve(b);
        }
    }

    fn name(&self) -> &'static str {
        "block-krylov"
    }

    fn refused_bytes(&self) -> Option<u64> {
        self.refused
    }

    fn iterations(&self) -> usize {
        self.iterations
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mna::Mna;
    use atscale_circuit::TranTiming;

    /// The automatic choice rests on these: a chain's LU keeps the matrix's
    /// sparsity, a random network's fills in.
    #[test]
    fn fill_estimates_separate_chain_and_network() {
        let fill = |case: crate::reference::ReferenceCase| {
            let mna = Mna::new(&case.circuit, TranTiming { tstep: 0.1, tstop: 1.0 }).unwrap();
            estimated_lu_entries(&mna.pattern).unwrap() as f64 / mna.pattern.nnz() as f64
        };
        // Measured 1.0 (no fill-in) and 4.45: classification thresholds, not accuracies.
        assert!(fill(crate::reference::fhn_chain(200, 1.0)) < 2.0);
        assert!(fill(crate::reference::fhn_network(200, 1, 1.0)) > FILL_LIMIT as f64);
    }

    #[test]
    fn block_krylov_matches_dense() {
        let case = crate::reference::fhn_network(30, 3, 1.0);
        let mna = Mna::new(&case.circuit, TranTiming { tstep: 0.1, tstop: 1.0 }).unwrap();
        let blocks = mna.blocks().unwrap();
        let p = &mna.pattern;
        let vals: Vec<f64> = (0..p.nnz()).map(|k| 1.0 + (k % 7) as f64 * 0.1).collect();
        // Make it diagonally dominant-ish like a BDF Jacobian.
        let mut vals = vals;
        for i in 0..p.n {
            vals[mna.diag[i]] += 10.0;
        }
        let b: Vec<f64> = (0..p.n).map(|i| (i as f64).sin()).collect();
        let mut x1 = b.clone();
        let mut d = DenseLu::new(p.n);
        d.factor(p, &vals).unwrap();
        d.solve(&mut x1);
        let mut x2 = b.clone();
        let mut k = BlockKrylov::new(p, &blocks).unwrap();
        k.factor(p, &vals).unwrap();
        k.solve(&mut x2);
        assert_eq!(k.fallbacks, 0);
        for (a, b) in x1.iter().zip(&x2) {
            // Measured 1.5e-7 (scaled); 1e-6 is a 6.6x margin.
            assert!((a - b).abs() <= 1e-6 * (1.0 + a.abs()), "{a} vs {b}");
        }
    }
}
