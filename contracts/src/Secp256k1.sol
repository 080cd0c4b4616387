// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Secp256k1
/// @notice Minimal secp256k1 point arithmetic for what `ecrecover` cannot give: the
///         coordinates of a public key. Used to decompress SEC1 keys and to recover the
///         full public key (not just its address) behind a signature, so that a dstack
///         chain can be verified when only the signatures are supplied.
/// @dev All functions are `pure` (no precompile calls); square roots and inverses use
///      Fermat exponentiation. Results of `recoverPoint` are cross-checked against the
///      `ecrecover` precompile by the caller (DstackChainVerifier), so an arithmetic slip
///      here could only cause a rejection, never an acceptance.
library Secp256k1 {
    /// @dev Field prime p.
    uint256 internal constant P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
    /// @dev Group order n.
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    /// @dev Generator G.
    uint256 internal constant GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798;
    uint256 internal constant GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8;

    /// @notice b^e mod m (m > 1), fixed 4-bit windows: 256 squarings and at most 64
    ///         multiplications, with a 16-entry table in scratch memory past the free
    ///         memory pointer (not allocated, not kept).
    function expMod(uint256 b, uint256 e, uint256 m) internal pure returns (uint256 r) {
        assembly ("memory-safe") {
            let t := mload(0x40)
            mstore(t, 1)
            b := mod(b, m)
            mstore(add(t, 0x20), b)
            for { let i := 2 } lt(i, 16) { i := add(i, 1) } {
                mstore(add(t, shl(5, i)), mulmod(mload(add(t, shl(5, sub(i, 1)))), b, m))
            }
            r := 1
            for { let i := 256 } gt(i, 0) {} {
                i := sub(i, 4)
                r := mulmod(r, r, m)
                r := mulmod(r, r, m)
                r := mulmod(r, r, m)
                r := mulmod(r, r, m)
                let w := and(shr(i, e), 0xf)
                if w { r := mulmod(r, mload(add(t, shl(5, w))), m) }
            }
        }
    }

    /// @notice Whether (x, y) is an affine point on the curve (coordinates reduced mod p).
    function isOnCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= P || y >= P) return false;
        uint256 rhs = addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
        return mulmod(y, y, P) == rhs;
    }

    /// @notice The y coordinate with the given parity for x, if x is on the curve.
    /// @param x the x coordinate (must be < p)
    /// @param odd whether the wanted y is odd (SEC1 prefix 0x03)
    /// @return ok false when no point has this x
    /// @return y the y coordinate
    function deriveY(uint256 x, bool odd) internal pure returns (bool ok, uint256 y) {
        if (x >= P) return (false, 0);
        uint256 rhs = addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
        // p ≡ 3 (mod 4): sqrt(a) = a^((p+1)/4).
        y = expMod(rhs, (P + 1) >> 2, P);
        if (mulmod(y, y, P) != rhs) return (false, 0);
        if ((y & 1 == 1) != odd) y = P - y;
        return (true, y);
    }

    /// @notice Recover the public key Q with e = digest such that (r, s) is a signature by
    ///         Q and R = (r, y) has y parity `recId`: Q = r⁻¹ (s·R − e·G).
    /// @return ok false for out-of-range r/s, r not an x coordinate, or Q at infinity
    function recoverPoint(bytes32 digest, uint8 recId, uint256 r, uint256 s)
        internal
        pure
        returns (bool ok, uint256 qx, uint256 qy)
    {
        if (r == 0 || r >= N || s == 0 || s >= N || recId > 1) return (false, 0, 0);
        (bool okR, uint256 ry) = deriveY(r, recId == 1);
        if (!okR) return (false, 0, 0);
        uint256 rInv = expMod(r, N - 2, N);
        uint256 u1 = mulmod(N - (uint256(digest) % N), rInv, N);
        uint256 u2 = mulmod(s, rInv, N);
        uint256 z;
        (qx, qy, z) = _mulAddJacobian(u1, u2, r, ry);
        if (z == 0) return (false, 0, 0);
        uint256 zInv = expMod(z, P - 2, P);
        uint256 zInv2 = mulmod(zInv, zInv, P);
        qx = mulmod(qx, zInv2, P);
        qy = mulmod(qy, mulmod(zInv2, zInv, P), P);
        return (true, qx, qy);
    }

    /// @dev u1·G + u2·(rx, ry) in Jacobian coordinates (X, Y, Z), Z = 0 meaning infinity.
    ///      Interleaved double-and-add over the 256 bits of both scalars.
    function _mulAddJacobian(uint256 u1, uint256 u2, uint256 rx, uint256 ry)
        private
        pure
        returns (uint256 x, uint256 y, uint256 z)
    {
        assembly ("memory-safe") {
            // Point doubling for a = 0 (dbl-2009-l).
            function dbl(x1, y1, z1) -> x3, y3, z3 {
                let p := 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
                let a := mulmod(x1, x1, p)
                let c := mulmod(y1, y1, p) // B
                let d := addmod(x1, c, p)
                c := mulmod(c, c, p) // C = B^2
                d := mulmod(d, d, p)
                d := addmod(d, sub(p, addmod(a, c, p)), p)
                d := addmod(d, d, p) // D
                a := mulmod(3, a, p) // E
                x3 := addmod(mulmod(a, a, p), sub(p, addmod(d, d, p)), p)
                y3 := mulmod(a, addmod(d, sub(p, x3), p), p)
                y3 := addmod(y3, sub(p, mulmod(8, c, p)), p)
                z3 := mulmod(mulmod(2, y1, p), z1, p)
            }
            // Mixed addition (x1, y1, z1) + affine (x2, y2) (madd-2007-bl). Variables are
            // reused to stay within the legacy code generator's stack limit:
            // x2 becomes H = x2·z1² − x1, y2 becomes r = 2(y2·z1³ − y1).
            function madd(x1, y1, z1, x2, y2) -> x3, y3, z3 {
                if iszero(z1) {
                    x3 := x2
                    y3 := y2
                    z3 := 1
                    leave
                }
                let p := 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
                let z1z1 := mulmod(z1, z1, p)
                x2 := addmod(mulmod(x2, z1z1, p), sub(p, x1), p) // H
                y2 := mulmod(y2, mulmod(z1, z1z1, p), p)
                y2 := addmod(y2, sub(p, y1), p)
                y2 := addmod(y2, y2, p) // r
                if iszero(x2) {
                    // Same x: doubling when the points are equal, infinity (zeros) otherwise.
                    if iszero(y2) { x3, y3, z3 := dbl(x1, y1, z1) }
                    leave
                }
                let hh := mulmod(x2, x2, p) // HH
                z3 := addmod(z1, x2, p)
                z3 := addmod(mulmod(z3, z3, p), sub(p, addmod(z1z1, hh, p)), p) // (Z1+H)^2-Z1Z1-HH
                hh := mulmod(4, hh, p) // I
                z1z1 := mulmod(x1, hh, p) // V
                hh := mulmod(x2, hh, p) // J
                x3 := addmod(hh, addmod(z1z1, z1z1, p), p) // J + 2V
                x3 := addmod(mulmod(y2, y2, p), sub(p, x3), p) // r^2 - J - 2V
                y3 := sub(p, mulmod(2, mulmod(y1, hh, p), p)) // -2·Y1·J
                z1z1 := mulmod(y2, addmod(z1z1, sub(p, x3), p), p) // r(V - X3)
                y3 := addmod(z1z1, y3, p)
            }

            x := 0
            y := 0
            z := 0
            for { let i := 256 } gt(i, 0) {} {
                i := sub(i, 1)
                if z { x, y, z := dbl(x, y, z) }
                if and(shr(i, u1), 1) {
                    x, y, z :=
                        madd(
                        x,
                        y,
                        z,
                        0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
                        0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8
                    )
                }
                if and(shr(i, u2), 1) { x, y, z := madd(x, y, z, rx, ry) }
            }
        }
    }
}
