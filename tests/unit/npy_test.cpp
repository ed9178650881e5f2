// .npy round trips and clear errors for files that are not .npy.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/npy.h"
#include "tandem/error.h"

using namespace tandem;

TEST(Npy, RoundTripKeepsShapeAndValues) {
  std::string path = ::testing::TempDir() + "/roundtrip.npy";
  Tensor t = Tensor::from<float>({2, 3}, {1, 2, 3, 4, 5, -6.5f});
  write_npy(path, t);
  Tensor back = read_npy(path);
  EXPECT_EQ(back.shape(), t.shape());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(back.data<float>()[i], t.data<float>()[i]);
  std::remove(path.c_str());
}

TEST(Npy, OneDimensionalAndScalar) {
  std::string path = ::testing::TempDir() + "/vector.npy";
  write_npy(path, Tensor::from<int64_t>({3}, {7, 8, 9}));
  Tensor back = read_npy(path);
  EXPECT_EQ(back.shape(), Shape({3}));
  EXPECT_EQ(back.data<int64_t>()[2], 9);
  std::remove(path.c_str());
}

TEST(Npy, GarbageAndTruncatedFilesAreErrors) {
  std::string path = ::testing::TempDir() + "/garbage.npy";
  std::ofstream(path) << "this is not numpy";
  EXPECT_THROW(read_npy(path), Error);
  write_npy(path, Tensor::from<float>({4}, {1, 2, 3, 4}));
  std::string bytes;
  { std::ifstream in(path, std::ios::binary); bytes.assign(std::istreambuf_iterator<char>(in), {}); }
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() - 3);
  EXPECT_THROW(read_npy(path), Error);
  EXPECT_THROW(read_npy(::testing::TempDir() + "/missing.npy"), Error);
  std::remove(path.c_str());
}
